SELECT 'it''s' AS a, length('it''s') AS n
