SELECT max_by(srcaddr, bytes) AS top_src, min_by(dstaddr, bytes) AS low_dst FROM flows
