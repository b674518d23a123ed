SELECT day_of_week(DATE '2024-05-06') AS mon, day_of_week(DATE '2024-05-05') AS sun, dow(DATE '2024-05-04') AS sat
