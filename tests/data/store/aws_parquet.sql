CREATE TABLE a (version INTEGER, account_id VARCHAR, interface_id VARCHAR, srcaddr VARCHAR, dstaddr VARCHAR, srcport INTEGER, dstport INTEGER, protocol BIGINT, packets BIGINT, bytes BIGINT, "start" BIGINT, "end" BIGINT, "action" VARCHAR, log_status VARCHAR, vpc_id VARCHAR, tcp_flags INTEGER, flow_direction VARCHAR, new_field VARCHAR, new_num BIGINT);
INSERT INTO a VALUES
 (2, '012345678901', 'eni-0a1b2c3d', '10.0.1.5', '203.0.113.9', 49152, 443, 6, 12, 5120, 1700000000, 1700000060, 'ACCEPT', 'OK', 'vpc-1', 19, 'egress', 'x "y"', 7),
 (2, '012345678901', 'eni-0a1b2c3d', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1700000100, 1700000160, NULL, 'NODATA', NULL, NULL, NULL, NULL, NULL),
 (2, '012345678901', '-', '-', '-', NULL, NULL, NULL, NULL, NULL, 1700000200, 1700000260, '-', 'SKIPDATA', '-', NULL, '-', '-', NULL),
 (5, '999999999999', 'eni-ffff', '2001:db8::1', '2001:db8::2', 0, 0, 58, 1, 64, 1700000300, 1700000301, 'REJECT', 'OK', NULL, 0, 'ingress', NULL, -3);
COPY a TO 'OUT/aws_a.parquet' (FORMAT parquet, COMPRESSION gzip);
COPY (SELECT version::BIGINT AS "version", account_id AS "account-id", interface_id AS "interface-id", srcaddr, dstaddr, srcport::BIGINT AS srcport, dstport, protocol::INTEGER AS protocol, packets, bytes, "start", "end", "action", log_status AS "log-status" FROM a) TO 'OUT/aws_b.parquet' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2);
SELECT 1
