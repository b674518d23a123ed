SELECT stddev(bytes) AS s FROM flows WHERE dstport = 853
