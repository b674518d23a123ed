SELECT CAST(dstport AS VARCHAR) || '/tcp' AS p FROM flows WHERE dstport = 53
