/* SPDX-License-Identifier: Apache-2.0 */
/*
 * services.c - the well-known service name of a destination port and
 * protocol (443/tcp -> https).  A compiled-in table (IANA service names,
 * the spelling of /etc/services where one exists) rather than
 * /etc/services itself: minimal CI images and containers often ship without
 * it, and the enrichment must give the same answer everywhere.
 */
#include "enrich_int.h"

struct svc {
    uint16_t port;
    uint8_t proto; /* 6 tcp, 17 udp, 0 both */
    const char *name;
};

/* Sorted by port. */
static const struct svc svcs[] = {
    {7, 0, "echo"},          {20, 6, "ftp-data"},     {21, 6, "ftp"},
    {22, 6, "ssh"},          {23, 6, "telnet"},       {25, 6, "smtp"},
    {43, 6, "whois"},        {49, 0, "tacacs"},       {53, 0, "domain"},
    {67, 17, "bootps"},      {68, 17, "bootpc"},      {69, 17, "tftp"},
    {80, 6, "http"},         {88, 0, "kerberos"},     {110, 6, "pop3"},
    {111, 0, "sunrpc"},      {119, 6, "nntp"},        {123, 17, "ntp"},
    {135, 6, "msrpc"},       {137, 17, "netbios-ns"}, {138, 17, "netbios-dgm"},
    {139, 6, "netbios-ssn"}, {143, 6, "imap"},        {161, 17, "snmp"},
    {162, 17, "snmptrap"},   {179, 6, "bgp"},         {389, 0, "ldap"},
    {443, 6, "https"},       {443, 17, "quic"},       {445, 6, "microsoft-ds"},
    {464, 0, "kpasswd"},     {465, 6, "submissions"}, {500, 17, "isakmp"},
    {514, 17, "syslog"},     {515, 6, "printer"},     {520, 17, "rip"},
    {546, 17, "dhcpv6-client"}, {547, 17, "dhcpv6-server"}, {587, 6, "submission"},
    {623, 17, "asf-rmcp"},   {631, 6, "ipp"},         {636, 6, "ldaps"},
    {853, 6, "domain-s"},    {873, 6, "rsync"},       {989, 6, "ftps-data"},
    {990, 6, "ftps"},        {993, 6, "imaps"},       {995, 6, "pop3s"},
    {1080, 6, "socks"},      {1194, 0, "openvpn"},    {1433, 6, "ms-sql-s"},
    {1434, 17, "ms-sql-m"},  {1521, 6, "oracle"},     {1701, 17, "l2tp"},
    {1723, 6, "pptp"},       {1812, 17, "radius"},    {1813, 17, "radius-acct"},
    {1883, 6, "mqtt"},       {1900, 17, "ssdp"},      {2049, 0, "nfs"},
    {2181, 6, "zookeeper"},  {2375, 6, "docker"},     {2376, 6, "docker-s"},
    {2379, 6, "etcd-client"}, {2380, 6, "etcd-server"}, {3000, 6, "grafana"},
    {3128, 6, "squid"},      {3268, 6, "msft-gc"},    {3269, 6, "msft-gc-ssl"},
    {3306, 6, "mysql"},      {3389, 0, "ms-wbt-server"}, {3478, 0, "stun"},
    {4500, 17, "ipsec-nat-t"}, {4789, 17, "vxlan"},   {5060, 0, "sip"},
    {5061, 6, "sips"},       {5222, 6, "xmpp-client"}, {5353, 17, "mdns"},
    {5432, 6, "postgresql"}, {5671, 6, "amqps"},      {5672, 6, "amqp"},
    {5900, 6, "vnc"},        {5985, 6, "wsman"},      {5986, 6, "wsmans"},
    {6379, 6, "redis"},      {6443, 6, "kube-apiserver"}, {6667, 6, "ircd"},
    {8080, 6, "http-alt"},   {8443, 6, "https-alt"},  {8883, 6, "secure-mqtt"},
    {9000, 6, "cslistener"}, {9042, 6, "cassandra"},  {9092, 6, "kafka"},
    {9200, 6, "elasticsearch"}, {9300, 6, "elasticsearch-transport"},
    {9418, 6, "git"},        {10250, 6, "kubelet"},   {11211, 0, "memcache"},
    {27017, 6, "mongodb"},   {51820, 17, "wireguard"},
};

const char *fl_service_name(int64_t protocol, int64_t port)
{
    switch (protocol) {
    case 1: return "icmp";
    case 58: return "ipv6-icmp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 6: case 17: case 132: break;
    default: return NULL;
    }
    if (port < 0 || port > 65535)
        return NULL;
    size_t lo = 0, hi = FL_ARRAY_LEN(svcs);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (svcs[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < FL_ARRAY_LEN(svcs) && svcs[i].port == port; i++)
        if (svcs[i].proto == 0 || svcs[i].proto == protocol ||
            (protocol == 132 && svcs[i].proto == 6))
            return svcs[i].name;
    return NULL;
}
