"""A Python standard-library re-implementation of the original add-on's
per-row flow, for the benchmark only (not IBM's code): for every row a new
login, a field lookup, a query for the notable, then a create — without the
1.6 s sleep between rows. Usage: ibm_flow.py HOST PORT CA ROWS"""
import http.client
import json
import ssl
import sys


def row_flow(host, port, ctx, i):
    c = http.client.HTTPSConnection(host, port, context=ctx)
    hdr = {"Content-Type": "application/json"}
    c.request("POST", "/rest/session", json.dumps({"email": "soar@example.com",
                                                   "password": "Sup3r$ecret!"}), hdr)
    r = c.getresponse()
    sess = json.loads(r.read())
    hdr["X-sess-id"] = sess["csrf_token"]
    hdr["Cookie"] = r.getheader("Set-Cookie").split(";")[0]
    org = sess["orgs"][0]["id"]
    c.request("GET", "/rest/orgs/%d/types/incident/fields/splunk_notable_event_id" % org, headers=hdr)
    c.getresponse().read()
    q = {"filters": [{"conditions": [{"field_name": "properties.splunk_notable_event_id",
                                      "method": "equals", "value": "bench-ibm-%d" % i}]}]}
    c.request("POST", "/rest/orgs/%d/incidents/query_paged" % org, json.dumps(q), hdr)
    c.getresponse().read()
    body = {"name": "bench %d" % i, "discovered_date": 1714557600000,
            "properties": {"splunk_notable_event_id": "bench-ibm-%d" % i},
            "artifacts": [{"type": "IP Address", "value": "10.0.0.%d" % (i % 250)}]}
    c.request("POST", "/rest/orgs/%d/incidents" % org, json.dumps(body), hdr)
    c.getresponse().read()
    c.close()


def main():
    host, port, ca, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    ctx = ssl.create_default_context(cafile=ca)
    for i in range(rows):
        row_flow(host, port, ctx, i)


if __name__ == "__main__":
    main()
