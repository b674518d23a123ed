SELECT * FROM vpc_flow_logs WHERE day >= '2024/05/02' AND day < '2024/05/03' AND srcaddr = '10.0.1.5'
