SELECT srcaddr, dstaddr, dstport, sum(bytes) AS bytes_out, sum(bytes_rev) AS bytes_in FROM flows WHERE cloud = 'azure' AND flow_state IN ('C', 'E') GROUP BY 1, 2, 3 ORDER BY 1
