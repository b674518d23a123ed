SELECT count(*) AS n FROM flows WHERE NOT (action = 'ACCEPT')
