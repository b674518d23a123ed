SELECT 2 + 3 * 4 AS a, (2 + 3) * 4 AS b, -2 * -3 AS c, 10 - 2 - 3 AS d
