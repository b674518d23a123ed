SELECT 'abc FROM flows
