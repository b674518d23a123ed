SELECT * FROM flows a JOIN flows b ON a.srcaddr = b.dstaddr
