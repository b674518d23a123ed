SELECT count(*) AS n FROM flows WHERE action <> 'REJECT'
