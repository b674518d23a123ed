SELECT DISTINCT cloud FROM flows WHERE cloud IN ('aws', 'gcp') ORDER BY cloud
