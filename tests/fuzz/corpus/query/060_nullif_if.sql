SELECT nullif(1, 1) AS a, nullif(1, 2) AS b, if(1 < 2, 'y', 'n') AS c, if(false, 1) AS d
