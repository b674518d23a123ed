SELECT abs(-5) AS a, abs(-2.5) AS b, round(2.5) AS c, round(-2.5) AS d, round(3.14159, 2) AS e, floor(2.7) AS f, ceil(2.1) AS g, round(1234, -2) AS h
