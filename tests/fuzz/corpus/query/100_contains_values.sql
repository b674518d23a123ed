SELECT contains('10.0.0.0/8', '10.1.2.3') AS a, contains('10.0.0.0/8', '11.0.0.1') AS b, contains('2001:db8::/32', '2001:db8::1') AS c, contains('192.168.0.0/16', 'not-an-ip') AS d
