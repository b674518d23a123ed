SELECT lower('ABC') AS l, upper('abc') AS u, length('héllo') AS n
