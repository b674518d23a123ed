SELECT split_part('a.b', '.', 5) AS a
