/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_compliance.h - the daily egress compliance report behind
 * `flowsift report compliance --date D`: every accepted flow of the day from
 * an internal source (src_scope private or cgnat) to a public destination
 * that the policy in flowsift.yaml does not approve, i.e. a destination
 * outside `policy.approved_egress_cidrs` whose country (dst_country) is not
 * in `policy.approved_countries` (an unknown country is not approved).
 * Rows are grouped by account, cloud, source, destination, country,
 * protocol and port, with flows, bytes, first/last seen and the rule that
 * would block the traffic (a NACL / NSG / VPC-firewall deny suggestion).
 *
 * Output: an HTML file (self-contained, no script, print CSS: readable on
 * paper) and a CSV file of the same rows, written atomically into out_dir as
 * compliance-YYYY-MM-DD.html / .csv.  Totals (overall, per country, per
 * account) are in the HTML and the summary.
 *
 * Without policy.approved_countries every country counts as approved (as for
 * the egress-unapproved-country detection) and the report is empty; the
 * summary's policy_countries is then 0 and the HTML says so.
 *
 * Thread-safety: independent calls may run in parallel (read-only dataset).
 */
#ifndef FL_COMPLIANCE_H
#define FL_COMPLIANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "fl_config.h"
#include "fl_errors.h"

#define FL_COMPLIANCE_MAX_ROWS 1000000u /* CSV rows; more sets `truncated` */
#define FL_COMPLIANCE_HTML_ROWS 2000u   /* detail rows in the HTML (all are in the CSV) */

struct fl_compliance_opts {
    const char *home;        /* dataset root; NULL = "./flowsift-data" */
    const fl_config *config; /* the policy (fl_config_load); required */
    int64_t day;             /* Unix seconds of the day's 00:00 UTC */
    const char *out_dir;     /* created if missing; required */
    uint64_t memory;         /* query budget; 0 = FL_QUERY_DEFAULT_MEMORY */
};

struct fl_compliance_summary {
    uint64_t rows;           /* grouped rows (CSV lines without the header) */
    uint64_t flows;          /* records behind them */
    uint64_t bytes;
    uint64_t sources, destinations, countries, accounts;
    size_t policy_countries; /* approved countries configured */
    size_t policy_cidrs;     /* approved egress CIDRs configured */
    bool truncated;          /* more than FL_COMPLIANCE_MAX_ROWS rows */
    char html_path[1100];
    char csv_path[1100];
};

/* Build the report for one day.  FL_OK, FL_EINVAL (bad options), FL_EIO
 * (cannot write out_dir), or the query's error; details in err.  On failure
 * no partial report file is left behind. */
int fl_compliance_report(const struct fl_compliance_opts *o,
                         struct fl_compliance_summary *sum_out, struct fl_error *err);

/* The suggested blocking rule for one destination, as text into buf, e.g.
 * "NACL egress DENY tcp/443 to 203.0.113.9/32" (aws), "NSG outbound Deny
 * TCP 443 to 203.0.113.9/32" (azure), "VPC firewall egress DENY tcp:443 to
 * 203.0.113.9/32" (gcp).  Returns the length (snprintf-like). */
size_t fl_compliance_block_rule(const char *cloud, const char *dstaddr, int64_t protocol,
                                int64_t dstport, char *buf, size_t cap);

#endif
