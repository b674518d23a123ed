SELECT sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rej, sum(CASE WHEN action = 'ACCEPT' THEN bytes END) AS acc_bytes FROM flows
