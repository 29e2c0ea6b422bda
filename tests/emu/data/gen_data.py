#!/usr/bin/env python3
"""Regenerates fields*.json and artifact_types.json (run from this directory).
The catalogue imitates a real server's /types/incident/fields (FieldDefDTO, soar-api.md §3)."""
import json, uuid

_n = [1000]
def u(seed):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "soar-emu/" + seed))

def fld(fid, name, text, input_type, prefix=None, internal=True, **kw):
    d = {"id": fid, "name": name, "text": text, "prefix": prefix, "type_id": 0,
         "input_type": input_type, "tooltip": "", "placeholder": "",
         "hide_notification": False, "chosen": False, "default_chosen_by_server": False,
         "blank_option": input_type in ("select", "select_owner"), "internal": internal,
         "uuid": u("f/" + (prefix or "") + name), "values": [], "read_only": False,
         "changeable": True, "rich_text": False, "templates": [], "deprecated": False,
         "tags": [], "calculated": False, "is_tracked": False, "allow_default_value": False}
    d.update(kw)
    return d

def vals(name, pairs, default=None, disabled=()):
    return [{"value": v, "label": l, "enabled": l not in disabled, "properties": None,
             "uuid": u("v/%s/%s" % (name, v)), "hidden": False, "default": l == default}
            for v, l in pairs]

F = [
    fld(1, "id", "ID", "number", read_only=True, changeable=False),
    fld(2, "name", "Name", "text", required="always"),
    fld(3, "description", "Description", "textarea", rich_text=True),
    fld(4, "discovered_date", "Date Discovered", "datetimepicker", required="always"),
    fld(5, "start_date", "Date Occurred", "datetimepicker"),
    fld(6, "due_date", "Date Due", "datepicker"),
    fld(7, "create_date", "Date Created", "datetimepicker", read_only=True, changeable=False),
    fld(8, "severity_code", "Severity", "select",
        values=vals("severity_code", [(50, "Low"), (51, "Medium"), (52, "High")], default="Low")),
    fld(9, "incident_type_ids", "Incident Type", "multiselect",
        values=vals("incident_type_ids", [(16, "Lost documents / files / records"), (17, "Lost PC / laptop / tablet"),
                                          (18, "Malware"), (19, "Phishing"), (21, "Denial of Service"),
                                          (22, "Communication error (fax; email)"), (23, "Improper disposal: digital asset(s)"),
                                          (1000, "Splunk Notable"), (1001, "Insider threat")])),
    fld(10, "plan_status", "Status", "select", values=vals("plan_status", [("A", "Active"), ("C", "Closed")], default="Active")),
    fld(11, "owner_id", "Owner", "select_owner"),
    fld(12, "members", "Members", "multiselect_members"),
    fld(13, "confirmed", "Incident Disposition", "boolean", label_true="Confirmed", label_false="Unconfirmed"),
    fld(14, "workspace", "Workspace", "select", required="always", default_chosen_by_server=True,
        values=vals("workspace", [(1, "Default workspace"), (2, "SOC Tier 2")], default="Default workspace")),
    fld(15, "resolution_id", "Resolution", "select", required="close",
        values=vals("resolution_id", [(7, "Unresolved"), (8, "Duplicate"), (9, "Not an Issue"), (10, "Resolved")])),
    fld(16, "resolution_summary", "Resolution Summary", "textarea", required="close", rich_text=True),
    fld(17, "inc_training", "Simulation", "boolean", read_only=True),
    fld(18, "phase_id", "Phase", "select",
        values=vals("phase_id", [(1000, "Engage"), (1001, "Detect/Analyze"), (1002, "Respond"), (1003, "Post-Incident")])),
    fld(19, "country", "Country/Region", "select", values=vals("country", [(1, "Afghanistan"), (233, "United States")])),
    fld(20, "city", "City", "text"),
    fld(21, "state", "State", "select", values=vals("state", [(5, "California"), (31, "New York")])),
    fld(22, "zip", "Zip", "text"),
    fld(23, "addr", "Address", "text"),
    fld(24, "reporter", "Reporting Individual", "text"),
    fld(25, "exposure_type_id", "Exposure Type", "select",
        values=vals("exposure_type_id", [(1, "Unknown"), (2, "External Party"), (3, "Individual")], default="Unknown")),
    fld(26, "nist_attack_vectors", "NIST Attack Vectors", "multiselect",
        values=vals("nist_attack_vectors", [(1, "External/Removable Media"), (2, "Attrition"), (3, "Web"), (4, "E-mail"), (5, "Impersonation")])),
    fld(27, "negative_pr_likely", "Negative PR", "boolean"),
    fld(28, "data_compromised", "Was personal information or personal data foreseeably compromised or exposed?",
        "boolean", prefix="pii"),
    fld(29, "data_encrypted", "Was the data encrypted?", "boolean", prefix="pii"),
    fld(30, "data_source_ids", "Data Source", "multiselect", prefix="pii",
        values=vals("data_source_ids", [(1, "Customers"), (2, "Employees")])),
    fld(31, "assessment", "Assessment", "textarea", prefix="pii", read_only=True),
    fld(32, "alberta_health_risk_assessment", "Alberta Health Risk Assessment", "boolean", prefix="gdpr"),
    fld(33, "harm_likely", "Is harm likely?", "boolean", prefix="gdpr"),
    # set by the server when the case closes, cleared when it is re-opened
    fld(34, "end_date", "Date Closed", "datetimepicker", read_only=True, changeable=False),
    # custom fields (prefix "properties")
    fld(301, "splunk_notable_event_id", "Splunk Notable Event ID", "text", prefix="properties", internal=False),
    fld(302, "splunk_search_name", "Splunk Search Name", "text", prefix="properties", internal=False),
    fld(303, "splunk_priority", "Splunk Priority", "select", prefix="properties", internal=False,
        values=vals("splunk_priority", [(54, "1"), (55, "2"), (56, "3")])),
    fld(324, "test_multi", "test_multi", "multiselect", prefix="properties", internal=False,
        values=vals("test_multi", [(54, "1"), (55, "2"), (57, "54")], default="1")),
    fld(304, "splunk_risk_score", "Splunk Risk Score", "number", prefix="properties", internal=False),
    fld(305, "splunk_first_seen", "First Seen", "datepicker", prefix="properties", internal=False),
    fld(306, "splunk_last_seen", "Last Seen", "datetimepicker", prefix="properties", internal=False),
    fld(307, "splunk_category", "Splunk Category", "select", prefix="properties", internal=False,
        values=vals("splunk_category", [(201, "Access"), (202, "Endpoint"), (203, "Network"), (204, "Legacy")],
                    disabled=("Legacy",))),
    fld(308, "splunk_old_ref", "Old Reference (deprecated)", "text", prefix="properties", internal=False, deprecated=True),
    fld(309, "splunk_drilldown", "Splunk Drilldown", "textarea", prefix="properties", internal=False, rich_text=False),
    fld(310, "splunk_escalated", "Escalated from Splunk", "boolean", prefix="properties", internal=False),
]

REQ = fld(311, "soc_queue", "SOC Queue", "select", prefix="properties", internal=False, required="always",
          values=vals("soc_queue", [(401, "Tier 1"), (402, "Tier 2")]))

A = [(1, "IP Address", r"^[0-9a-fA-F:.]+$", False), (2, "DNS Name", None, False), (3, "URL", None, False),
     (4, "RFC 822 Email Message File", None, True), (5, "Email Subject", None, False), (6, "Email Body", None, False),
     (7, "Email Attachment", None, True), (8, "Email Attachment Name", None, False), (9, "Email Sender", None, False),
     (12, "Malware Sample", None, True), (13, "Malware MD5 Hash", r"^[0-9a-fA-F]{32}$", False),
     (14, "Malware SHA-1 Hash", r"^[0-9a-fA-F]{40}$", False), (15, "Log File", None, True), (16, "Other File", None, True),
     (19, "Email Sender Name", None, False), (20, "Email Recipient", None, False),
     (22, "Malware Sample Fuzzy Hash", None, False), (23, "User Account", None, False), (24, "Registry Key", None, False),
     (25, "System Name", None, False), (26, "Process Name", None, False), (27, "Port", r"^[0-9]{1,5}$", False),
     (28, "Service", None, False), (29, "String", None, False), (30, "Mutex", None, False), (31, "File Name", None, False),
     (32, "Password", None, False), (34, "HTTP Request Header", None, False), (35, "HTTP Response Header", None, False),
     (36, "X509 Certificate File", None, True), (37, "File Path", None, False),
     (38, "Malware SHA-256 Hash", r"^[0-9a-fA-F]{64}$", False), (39, "MAC Address", None, False),
     (40, "URL Referer", None, False), (41, "User Agent", None, False), (42, "URI Path", None, False),
     (43, "Threat CVE ID", None, False), (44, "Network CIDR Range", None, False),
     (45, "Malware Family/Variant", None, False), (46, "Observed Data", None, False), (47, "Network Traffic", None, False),
     (48, "Malware SHA-512 Hash", r"^[0-9a-fA-F]{128}$", False),
     (1000, "Splunk Asset ID", r"^ASSET-[0-9]+$", False), (1001, "Splunk Evidence File", None, True)]

def atype(i, n, rx, f):
    return {"id": i, "name": n, "programmatic_name": n.lower().replace(" ", "_").replace("/", "_"),
            "description": {"format": "text", "content": n}, "reg_exp": rx, "file": f,
            "system": i < 1000, "enabled": True, "multi_aware": False, "uuid": u("a/%d" % i),
            "properties": {"allow_duplicate": f}, "export_key": "incident_artifact_types/" + n}

def dump(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")

if __name__ == "__main__":
    dump("fields.json", F)
    dump("fields_required.json", F + [REQ])
    dump("fields_no_notable.json", [f for f in F if f["name"] != "splunk_notable_event_id"])
    dump("artifact_types.json", [atype(*a) for a in A])
