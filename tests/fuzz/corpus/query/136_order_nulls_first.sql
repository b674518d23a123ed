SELECT bytes FROM flows WHERE cloud = 'azure' ORDER BY bytes NULLS FIRST
