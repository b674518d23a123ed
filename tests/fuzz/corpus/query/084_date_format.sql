SELECT date_format(TIMESTAMP '2024-03-05 07:08:09', '%Y-%m-%d %H:%i:%s') AS a, date_format(DATE '2024-03-05', '%Y/%m/%d') AS b, date_format(TIMESTAMP '2024-03-05 15:08:09', '%W %M %e %h %p %j') AS c
