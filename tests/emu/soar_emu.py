#!/usr/bin/env python3
"""Strict IBM QRadar SOAR REST emulator (HTTPS on loopback) for the SA_QRadar_SOAR tests.

Rejects what the real server rejects (soar-api.md §1-§8, §12).  Standard library only.
Start:  python3 soar_emu.py --config cfg.json --cert server.pem --key server.key \
            --port 0 --control-port 0 --ready-file ready.json
See README.md in this directory for the config format and the control API."""
import argparse
import base64
import copy
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emucommon  # noqa: E402
from emucommon import jresp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_PAGE = 100
STRUCT_KEYS = {"properties", "pii", "gdpr", "regulator_risk", "artifacts", "comments"}
PREFIX_KEYS = ("pii", "gdpr", "regulator_risk")

DEFAULT_CONFIG = {
    "server_version": {"major": 51, "minor": 0, "build_number": 8304, "version": "51.0.8304"},
    "orgs": [
        {"id": 201, "name": "Test Organization", "uuid": "c8165e15-0321-4c09-84f8-4338ac5833f9",
         "cloud_account": "73c78395-470f-46a8-af7d-5e7d999a5707", "enabled": True},
        {"id": 202, "name": "Other Org", "uuid": "5b0a3f0e-6b35-4a84-a1c7-7a61a9a3c002",
         "cloud_account": None, "enabled": True},
        {"id": 404, "name": "Disabled Org", "uuid": "14fa4f65-8130-46f4-ab69-56e463a3928c",
         "cloud_account": None, "enabled": False},
    ],
    "users": [
        {"email": "soar@example.com", "password": "Sup3r$ecret!", "user_id": 3, "fname": "Splunk",
         "lname": "Integration", "orgs": [201, 404]},
        {"email": "other@example.com", "password": "other-pass", "user_id": 4, "fname": "Other",
         "lname": "User", "orgs": [202]},
    ],
    "api_keys": [
        {"id": "2b8e7a1c-0000-4000-8000-00000000a11e", "secret": "k3y-s3cret/+=", "user_id": 3,
         "display_name": "Splunk Integration Key", "orgs": [201]},
    ],
    "fields_file": os.path.join(HERE, "data", "fields.json"),
    "artifact_types_file": os.path.join(HERE, "data", "artifact_types.json"),
}


def now_ms():
    return int(time.time() * 1000)


def status_dto(message, error_code="generic"):
    return {"success": False, "title": None, "message": message, "hints": [],
            "error_code": error_code}


class BadRequest(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class SoarEmu:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.recorder = emucommon.Recorder()
        self.faults = emucommon.Faults()
        self.load_catalogues(cfg.get("fields_file"), cfg.get("artifact_types_file"))
        self.reset()

    # ---- state ------------------------------------------------------------------
    def reset(self, keep_sessions=False):
        with self.lock:
            self.incidents = {}
            self.nidx = {}        # lower-cased notable id -> inc ids (a superset)
            self.artifacts = {}   # inc id -> list
            self.comments = {}    # inc id -> list
            self.next_inc = 2095
            self.next_art = 11
            self.next_comment = 1
            if not keep_sessions:
                self.sessions = {}
            self.logins = []      # every POST/GET /rest/session: {mode, email, interactive, ok}
            self.puts = []        # every PUT /incidents/{id} (never expected from the add-on)
            self.patches = []     # every PATCH body with outcome
        self.recorder.clear()
        self.faults.clear()

    def load_catalogues(self, fields, atypes):
        with self.lock:
            if fields is not None:
                self.fields = json.load(open(fields)) if isinstance(fields, str) else fields
            if atypes is not None:
                self.atypes = json.load(open(atypes)) if isinstance(atypes, str) else atypes

    def field(self, name, prefix=Ellipsis):
        for f in self.fields:
            if f["name"] == name and (prefix is Ellipsis or f.get("prefix") == prefix):
                return f
        return None

    def org(self, oid):
        for o in self.cfg["orgs"]:
            if o["id"] == oid:
                return o
        return None

    def user_by_id(self, uid):
        for u in self.cfg["users"]:
            if u.get("user_id") == uid:
                return u
        return None

    # ---- DTOs -------------------------------------------------------------------
    def session_dto(self, principal, csrf):
        orgs = []
        for oid in principal.get("orgs", []):
            o = self.org(oid)
            if not o:
                continue
            d = {"id": o["id"], "name": o["name"], "uuid": o.get("uuid"),
                 "cloud_account": o.get("cloud_account"), "enabled": bool(o.get("enabled", True)),
                 "session_timeout": 1200, "configuration_type": "standard", "parent_org": None,
                 "effective_permissions": [], "role_handles": [], "has_saml": False,
                 "require_saml": False, "attachments_enabled": True,
                 "perms": {"administrator": False, "create_incs": True,
                           "master_administrator": False, "observer": False,
                           "create_shared_layout": False}}
            orgs.append(d)
        dto = {"csrf_token": csrf, "user_id": principal.get("user_id", 1), "orgs": orgs,
               "is_ldap": False, "is_saml": False, "saml_alias": None, "session_ip": "127.0.0.1",
               "password_expiration_date": None}
        if "secret" in principal:
            dto.update({"api_key_handle": 4, "client_id": principal["id"],
                        "display_name": principal.get("display_name", "API key")})
        else:
            dto.update({"user_email": principal["email"], "user_fname": principal.get("fname", ""),
                        "user_lname": principal.get("lname", "")})
        return dto

    def const_dto(self):
        return {"server_version": self.cfg["server_version"], "max_artifacts": 500,
                "max_artifact_mb": 25, "max_page_size": MAX_PAGE,
                "incident_statuses": {
                    "A": {"id": "A", "enabled": True, "isclosed": False, "name": "Active", "description": None},
                    "C": {"id": "C", "enabled": True, "isclosed": True, "name": "Closed", "description": None}}}

    def artifact_field_defs(self):
        vals = [{"value": t["id"], "label": t["name"], "enabled": t.get("enabled", True),
                 "properties": t.get("properties"), "uuid": t.get("uuid"), "hidden": False,
                 "default": False} for t in self.atypes]
        base = {"prefix": None, "type_id": 4, "internal": True, "read_only": False,
                "changeable": True, "rich_text": False, "templates": [], "deprecated": False,
                "blank_option": False, "default_chosen_by_server": False, "values": []}
        out = []
        for i, (n, t, it, req) in enumerate([("type", "Type", "select", "always"),
                                             ("value", "Value", "text", "always"),
                                             ("description", "Description", "textarea", None),
                                             ("relating", "Relate", "boolean", None)]):
            d = dict(base, id=2000 + i, name=n, text=t, input_type=it)
            if req:
                d["required"] = req
            if n == "type":
                d["values"] = vals
            out.append(d)
        return out

    # ---- value validation -------------------------------------------------------
    def resolve_choice(self, f, h, label):
        """ObjectHandle -> value id of an enabled choice (soar-api.md §1.3: no numeric
        string conversion since v23)."""
        if isinstance(h, dict):
            if "id" in h and len(h) == 1:
                h = h["id"]
                if not is_int(h) and not isinstance(h, str):
                    raise BadRequest("Invalid handle for field '%s'" % label)
            elif "name" in h and len(h) == 1:
                h = h["name"]
                if not isinstance(h, str):
                    raise BadRequest("Invalid handle for field '%s'" % label)
                return self._by_label(f, h, label)
            else:
                raise BadRequest("Invalid object handle for field '%s': %s" % (label, json.dumps(h)))
        if isinstance(h, bool) or h is None or isinstance(h, (float, list)):
            raise BadRequest("Invalid value for field '%s': %s" % (label, json.dumps(h)))
        if is_int(h) or (f["name"] == "plan_status" and h in ("A", "C")):
            for v in f.get("values", []):
                if v["value"] == h:
                    if not v.get("enabled", True):
                        raise BadRequest("The value '%s' for field '%s' is disabled" % (v["label"], label))
                    return h
            raise BadRequest("Unable to find object with ID %s for field '%s'" % (h, label))
        return self._by_label(f, h, label)

    def _by_label(self, f, h, label):
        for v in f.get("values", []):
            if v["label"] == h:
                if not v.get("enabled", True):
                    raise BadRequest("The value '%s' for field '%s' is disabled" % (h, label))
                return v["value"]
        raise BadRequest("'%s' is not a valid value for field '%s'" % (h, label))

    def resolve_user(self, h, label):
        if isinstance(h, dict) and len(h) == 1 and ("id" in h or "name" in h):
            h = h.get("id", h.get("name"))
        if is_int(h):
            if self.user_by_id(h):
                return h
            raise BadRequest("Unable to find object with ID %d for field '%s'" % (h, label))
        if isinstance(h, str):
            for u in self.cfg["users"]:
                if u["email"] == h:
                    return u["user_id"]
            raise BadRequest("'%s' is not a valid user for field '%s'" % (h, label))
        raise BadRequest("Invalid value for field '%s': %s" % (label, json.dumps(h)))

    def check_value(self, f, v, label):
        """Validate a create/PUT value for field f; return the stored form."""
        it = f["input_type"]
        if v is None:
            return None
        if it == "text":
            if not isinstance(v, str):
                raise BadRequest("Invalid value for field '%s': expected a string" % label)
            return v
        if it == "textarea":
            if isinstance(v, str):
                return {"format": "html" if f.get("rich_text") else "text", "content": v}
            if (isinstance(v, dict) and set(v) == {"format", "content"}
                    and v["format"] in ("html", "text") and isinstance(v["content"], str)):
                return dict(v)
            raise BadRequest("Invalid value for field '%s': expected a string or "
                             "{\"format\": \"html\"|\"text\", \"content\": ...}" % label)
        if it == "number":
            if not is_int(v):
                raise BadRequest("Invalid value for field '%s': expected an integer number" % label)
            return v
        if it == "boolean":
            if not isinstance(v, bool):
                raise BadRequest("Invalid value for field '%s': expected true or false" % label)
            return v
        if it in ("datepicker", "datetimepicker"):
            if not is_int(v):
                raise BadRequest("Invalid value for field '%s': dates are integers "
                                 "(milliseconds since the epoch)" % label)
            return v
        if it == "select":
            return self.resolve_choice(f, v, label)
        if it == "multiselect":
            if not isinstance(v, list):
                raise BadRequest("Invalid value for field '%s': expected an array" % label)
            return [self.resolve_choice(f, x, label) for x in v]
        if it in ("select_owner", "select_user"):
            return self.resolve_user(v, label)
        if it in ("multiselect_members",):
            if not isinstance(v, list):
                raise BadRequest("Invalid value for field '%s': expected an array" % label)
            return [self.resolve_user(x, label) for x in v]
        raise BadRequest("Field '%s' cannot be set" % label)

    def check_artifact(self, a, inc_id):
        if not isinstance(a, dict):
            raise BadRequest("Artifact must be an object")
        allowed = {"type", "value", "description", "properties", "relating", "location",
                   "parent_id", "hits", "ip", "perms", "pending_sources"}
        extra = set(a) - allowed
        if extra:
            raise BadRequest("Unrecognized field \"%s\" in artifact" % sorted(extra)[0])
        if "type" not in a or a["type"] is None:
            raise BadRequest("Artifact type is required")
        h = a["type"]
        if isinstance(h, dict) and len(h) == 1 and ("id" in h or "name" in h):
            h = h.get("id", h.get("name"))
        t = None
        for x in self.atypes:
            if (is_int(h) and x["id"] == h) or (isinstance(h, str) and x["name"] == h):
                t = x
        if t is None:
            raise BadRequest("Unable to find artifact type %s" % json.dumps(a["type"]))
        if not t.get("enabled", True):
            raise BadRequest("The artifact type %s is disabled" % t["name"])
        if t.get("file"):
            raise BadRequest("The artifact type %s requires a file; use the artifacts/files "
                             "endpoint" % t["name"])
        v = a.get("value")
        if not isinstance(v, str) or v == "":
            raise BadRequest("Artifact value is required")
        if t.get("reg_exp") and not re.search(t["reg_exp"], v):
            raise BadRequest("The value for the artifact type %s is invalid: %s" % (t["name"], v))
        desc = a.get("description")
        if desc is not None:
            desc = self.check_value({"input_type": "textarea", "rich_text": False}, desc,
                                    "description")
        return {"type": t["id"], "value": v, "description": desc,
                "properties": a.get("properties"), "relating": a.get("relating"),
                "inc_id": inc_id, "created": now_ms(), "hits": [], "pending_sources": [],
                "perms": {"read": True, "write": True, "delete": True},
                "_allow_dup": bool((t.get("properties") or {}).get("allow_duplicate"))}

    def validate_incident(self, body, for_put=False):
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object")
        top = {f["name"]: f for f in self.fields if not f.get("prefix")}
        out = {"properties": {}}
        server_keys = {"id", "vers", "create_date", "org_id", "inc_last_modified_date",
                       "creator_id", "end_date", "owner_id"} if for_put else set()
        for k, v in body.items():
            if k in STRUCT_KEYS:
                continue
            f = top.get(k)
            if f is None:
                if k in server_keys:
                    continue
                raise BadRequest("Unrecognized field \"%s\" (class IncidentDTO), not marked as "
                                 "ignorable" % k)
            if f.get("read_only"):
                if for_put and k in server_keys:
                    continue
                if k in ("id", "create_date") and for_put:
                    continue
                raise BadRequest("Field '%s' is read-only" % k)
            out[k] = self.check_value(f, v, k)
        for pk in PREFIX_KEYS:
            if pk in body:
                sub = body[pk]
                if not isinstance(sub, dict):
                    raise BadRequest("'%s' must be an object" % pk)
                out[pk] = {}
                for k, v in sub.items():
                    f = self.field(k, pk)
                    if f is None:
                        raise BadRequest("Unrecognized field \"%s\" in %s" % (k, pk))
                    if f.get("read_only"):
                        raise BadRequest("Field '%s.%s' is read-only" % (pk, k))
                    out[pk][k] = self.check_value(f, v, "%s.%s" % (pk, k))
        props = body.get("properties")
        if props is not None:
            if not isinstance(props, dict):
                raise BadRequest("'properties' must be an object")
            for k, v in props.items():
                f = self.field(k, "properties")
                if f is None:
                    raise BadRequest("Unrecognized property: '%s' is not a custom field of this "
                                     "organization" % k)
                if f.get("read_only"):
                    raise BadRequest("Field 'properties.%s' is read-only" % k)
                out["properties"][k] = self.check_value(f, v, "properties." + k)
        for f in self.fields:
            if f.get("required") != "always" or f.get("default_chosen_by_server"):
                continue
            p = f.get("prefix")
            have = (out.get(p) or {}).get(f["name"]) if p else out.get(f["name"])
            if have is None or have == "" or have == []:
                label = "%s.%s" % (p, f["name"]) if p else f["name"]
                raise BadRequest("A value is required for field '%s' (%s)" % (label, f["text"]))
        if "start_date" in out and out.get("start_date") and out.get("discovered_date") \
                and out["start_date"] > out["discovered_date"]:
            raise BadRequest("start_date cannot be after discovered_date")
        return out

    def fill_incident(self, inc, creator=None):
        """Server-side defaults on a stored incident."""
        for f in self.fields:
            p = f.get("prefix")
            if f["name"] in ("id",):
                continue
            tgt = inc.setdefault(p, {}) if p else inc
            if f["name"] not in tgt:
                dv = None
                if f.get("default_chosen_by_server") or f["name"] in ("severity_code", "exposure_type_id"):
                    dv = next((v["value"] for v in f.get("values", []) if v.get("default")), None)
                if f["input_type"] == "boolean" and f["name"] in ("inc_training", "confirmed"):
                    dv = False
                tgt[f["name"]] = dv
        inc.setdefault("plan_status", "A")
        if inc.get("plan_status") is None:
            inc["plan_status"] = "A"
        return inc

    # ---- output -----------------------------------------------------------------
    def render(self, inc, query):
        q = dict(query)
        tcf = q.get("text_content_output_format", "default")
        hf = q.get("handle_format", "default")
        out = copy.deepcopy(inc)
        out.pop("_owner", None)

        def conv(f, v):
            if v is None:
                return None
            it = f["input_type"]
            if it == "textarea":
                if tcf.startswith("objects"):
                    return v
                return v["content"]
            if hf in ("names", "objects") and it in ("select", "multiselect"):
                def one(x):
                    lab = next((c["label"] for c in f.get("values", []) if c["value"] == x), x)
                    return {"id": x, "name": lab} if hf == "objects" else lab
                return [one(x) for x in v] if isinstance(v, list) else one(v)
            return v
        for f in self.fields:
            p = f.get("prefix")
            tgt = out.get(p) if p else out
            if isinstance(tgt, dict) and f["name"] in tgt:
                tgt[f["name"]] = conv(f, tgt[f["name"]])
        return out

    def partial(self, inc):
        keys = ("id", "name", "discovered_date", "create_date", "plan_status", "severity_code",
                "owner_id", "vers", "properties", "inc_last_modified_date", "end_date")
        return {k: inc.get(k) for k in keys}

    # ---- auth -------------------------------------------------------------------
    def basic_principal(self, headers):
        a = headers.get("Authorization", "")
        if not a.startswith("Basic "):
            return None, False
        try:
            kid, sec = base64.b64decode(a[6:].strip(), validate=True).decode().split(":", 1)
        except Exception:
            return None, True
        for k in self.cfg["api_keys"]:
            if k["id"] == kid and k["secret"] == sec:
                return k, True
        return None, True

    def cookie_session(self, headers):
        c = headers.get("Cookie", "")
        for part in c.split(";"):
            k, _, v = part.strip().partition("=")
            if k == "JSESSIONID":
                return self.sessions.get(v)
        return None

    def authenticate(self, headers):
        p, tried = self.basic_principal(headers)
        if tried:
            return p
        s = self.cookie_session(headers)
        if s and headers.get("X-sess-id") == s["csrf"]:
            return s["principal"]
        return None

    # ---- HTTP -------------------------------------------------------------------
    def route(self, method, path, query, body, headers):
        q = dict(query)
        if path == "/rest/session":
            return self.route_session(method, q, body, headers)
        if not path.startswith("/rest/"):
            return jresp(404, status_dto("Not found: %s" % path))
        principal = self.authenticate(headers)
        if principal is None:
            return jresp(401, status_dto("Unauthorized - the provided session ID is invalid",
                                         "unauthorized"))
        if path == "/rest/const" and method == "GET":
            return jresp(200, self.const_dto())
        m = re.match(r"^/rest/orgs/(\d+)(/.*)?$", path)
        if not m:
            return jresp(404, status_dto("Not found: %s" % path))
        oid, rest = int(m.group(1)), m.group(2) or ""
        o = self.org(oid)
        if o is None:
            return jresp(404, status_dto("Unable to find object with ID %d" % oid))
        if oid not in principal.get("orgs", []) or not o.get("enabled", True):
            return jresp(403, status_dto("You do not have permission to access organization %d"
                                         % oid, "forbidden"))
        obj = None
        if method in ("POST", "PUT", "PATCH"):
            ctype = headers.get("Content-Type", "")
            if body and not ctype.lower().startswith("application/json"):
                return jresp(415, status_dto("Unsupported Media Type: %s" % ctype))
            try:
                obj = json.loads(body.decode("utf-8")) if body.strip() else None
            except (ValueError, UnicodeDecodeError) as e:
                return jresp(400, status_dto("Unable to parse the request body as JSON: %s" % e))
        try:
            with self.lock:
                return self.route_org(method, oid, rest, q, obj, principal, headers)
        except BadRequest as e:
            return jresp(e.status, status_dto(str(e)))

    def route_session(self, method, q, body, headers):
        if method == "POST":
            ctype = headers.get("Content-Type", "")
            if not ctype.lower().startswith("application/json"):
                return jresp(415, status_dto("Unsupported Media Type: %s" % ctype))
            try:
                obj = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return jresp(400, status_dto("Unable to parse the request body as JSON"))
            if not isinstance(obj, dict) or set(obj) - {"email", "password", "interactive"}:
                return jresp(400, status_dto("Invalid AuthenticationDTO"))
            user = next((u for u in self.cfg["users"] if u["email"] == obj.get("email")
                         and u["password"] == obj.get("password")), None)
            with self.lock:
                self.logins.append({"mode": "password", "email": obj.get("email"),
                                    "interactive": obj.get("interactive"), "ok": bool(user),
                                    "query": q})
            if not user:
                return jresp(401, status_dto("The email address or password you entered is "
                                             "incorrect. Please try again.", "unauthorized"))
            sid, csrf = secrets.token_hex(16), secrets.token_hex(16)
            with self.lock:
                if obj.get("interactive"):
                    # Only one interactive session per user: the others die (§2.1).
                    for k in [k for k, s in self.sessions.items()
                              if s["principal"] is user and s["interactive"]]:
                        del self.sessions[k]
                self.sessions[sid] = {"principal": user, "csrf": csrf,
                                      "interactive": bool(obj.get("interactive")),
                                      "created": time.time()}
            return jresp(200, self.session_dto(user, csrf),
                         {"_set_cookie": ["JSESSIONID=%s; Path=/; Secure; HttpOnly" % sid]})
        if method == "GET":
            p, tried = self.basic_principal(headers)
            if tried:
                with self.lock:
                    self.logins.append({"mode": "api_key", "ok": bool(p), "query": q,
                                        "key_id": (p or {}).get("id")})
                if not p:
                    return jresp(401, status_dto("Unauthorized", "unauthorized"))
                return jresp(200, self.session_dto(p, secrets.token_hex(16)))
            s = self.cookie_session(headers)
            if not s:
                return jresp(401, status_dto("Unauthorized", "unauthorized"))
            return jresp(200, self.session_dto(s["principal"], s["csrf"]))
        if method == "DELETE":
            s = self.cookie_session(headers)
            if s:
                with self.lock:
                    for k in [k for k, v in self.sessions.items() if v is s]:
                        del self.sessions[k]
            return jresp(200, {"success": True, "title": None, "message": None, "hints": []})
        return jresp(405, status_dto("Method not allowed"))

    def get_inc(self, iid):
        inc = self.incidents.get(iid)
        if inc is None:
            raise BadRequest("Unable to find object with ID %s" % iid, 404)
        return inc

    def route_org(self, method, oid, rest, q, obj, principal, headers):
        o = self.org(oid)
        if rest == "" and method == "GET":
            d = dict(o)
            d.update({"actions_framework_enabled": True, "session_timeout": 1200,
                      "incident_artifact_types": self.atypes})
            return jresp(200, d)
        if rest == "/types/incident/fields" and method == "GET":
            return jresp(200, self.fields)
        m = re.match(r"^/types/incident/fields/([^/]+)$", rest)
        if m and method == "GET":
            n = urllib.parse.unquote(m.group(1))
            f = next((f for f in self.fields if f["name"] == n or str(f["id"]) == n), None)
            if f is None:
                raise BadRequest("Unable to find object with ID %s" % n, 404)
            return jresp(200, f)
        if rest == "/types/artifact/fields" and method == "GET":
            return jresp(200, self.artifact_field_defs())
        if rest == "/artifact_types" and method == "GET":
            return jresp(200, {"entities": self.atypes})
        if rest == "/incidents" and method == "POST":
            return self.create(oid, q, obj, principal)
        if rest in ("/incidents/query_paged", "/incidents/query") and method == "POST":
            return self.query(rest.endswith("paged"), q, obj)
        m = re.match(r"^/incidents/(\d+)(/patch|/artifacts|/comments)?$", rest)
        if not m:
            raise BadRequest("Not found: /rest/orgs/%d%s" % (oid, rest), 404)
        iid, sub = int(m.group(1)), m.group(2)
        inc = self.get_inc(iid)
        if inc["org_id"] != oid:
            raise BadRequest("Unable to find object with ID %d" % iid, 404)
        if sub is None and method == "GET":
            if "vers" in q and q["vers"] == str(inc["vers"]):
                return 304, {}, b""
            return jresp(200, self.render(inc, q))
        if (sub is None and method == "PATCH") or (sub == "/patch" and method == "PUT"):
            return self.patch(inc, q, obj, headers)
        if sub is None and method == "PUT":
            return self.put(inc, q, obj)
        if sub == "/artifacts" and method == "POST":
            a = self.check_artifact(obj, iid)
            return jresp(200, [self.add_artifact(iid, a)])
        if sub == "/artifacts" and method == "GET":
            return jresp(200, [self.out_art(a) for a in self.artifacts.get(iid, [])])
        if sub == "/comments" and method == "POST":
            if not isinstance(obj, dict) or "text" not in obj:
                raise BadRequest("Comment 'text' is required")
            if set(obj) - {"text", "parent_id", "children", "mentioned_users", "is_deleted"}:
                raise BadRequest("Unrecognized field in CommentDTO")
            t = self.check_value({"input_type": "textarea", "rich_text": True}, obj["text"], "text")
            if not t["content"]:
                raise BadRequest("Comment 'text' is required")
            c = {"id": self.next_comment, "parent_id": obj.get("parent_id"), "inc_id": iid,
                 "user_id": principal.get("user_id"), "text": t, "create_date": now_ms(),
                 "modify_date": now_ms(), "children": [], "mentioned_users": [],
                 "is_deleted": False}
            self.next_comment += 1
            self.comments.setdefault(iid, []).append(c)
            r = dict(c)
            r["text"] = t["content"]
            return jresp(200, r)
        if sub == "/comments" and method == "GET":
            return jresp(200, [dict(c, text=c["text"]["content"]) for c in self.comments.get(iid, [])])
        return jresp(405, status_dto("Method not allowed"))

    def out_art(self, a):
        r = {k: v for k, v in a.items() if not k.startswith("_")}
        if isinstance(r.get("description"), dict):
            r["description"] = r["description"]["content"]
        return r

    def add_artifact(self, iid, a):
        lst = self.artifacts.setdefault(iid, [])
        if not a["_allow_dup"]:
            for x in lst:
                if x["type"] == a["type"] and x["value"] == a["value"]:
                    return self.out_art(x)  # v37.1+: duplicates are suppressed
        a["id"] = self.next_art
        self.next_art += 1
        lst.append(a)
        return self.out_art(a)

    def create(self, oid, q, obj, principal):
        inc = self.validate_incident(obj)
        arts = []
        if isinstance(obj, dict) and obj.get("artifacts") is not None:
            if not isinstance(obj["artifacts"], list):
                raise BadRequest("'artifacts' must be an array")
            arts = [self.check_artifact(a, None) for a in obj["artifacts"]]
        if isinstance(obj, dict) and obj.get("comments"):
            raise BadRequest("Comments are not accepted on incident creation")
        if inc.get("plan_status") == "C":
            self.check_close(inc)
        inc["id"] = self.next_inc
        self.next_inc += 1
        inc.update({"org_id": oid, "vers": 1, "create_date": now_ms(),
                    "inc_last_modified_date": now_ms(), "creator_id": principal.get("user_id"),
                    "end_date": now_ms() if inc.get("plan_status") == "C" else None})
        inc.setdefault("owner_id", principal.get("user_id"))
        self.fill_incident(inc)
        self.incidents[inc["id"]] = inc
        self.index(inc)
        for a in arts:
            a["inc_id"] = inc["id"]
            self.add_artifact(inc["id"], a)
        return jresp(200, self.render(inc, q))

    # ---- query ------------------------------------------------------------------
    def _fval(self, inc, name):
        if "." in name:
            p, n = name.split(".", 1)
            if p not in ("properties",) + PREFIX_KEYS or self.field(n, p) is None:
                raise BadRequest("Unknown field '%s' in condition" % name)
            return (inc.get(p) or {}).get(n), self.field(n, p)
        f = self.field(name, None)
        if f is None and name not in ("id", "vers", "create_date", "inc_last_modified_date", "org_id"):
            raise BadRequest("Unknown field '%s' in condition" % name)
        return inc.get(name), f

    def index(self, inc):
        """Like a database index on the notable id: query_paged for one id stays
        O(matches) instead of scanning every incident (10,000-row benchmarks).
        Stale entries are harmless: candidates are still matched in full."""
        v = (inc.get("properties") or {}).get("splunk_notable_event_id")
        if isinstance(v, str):
            self.nidx.setdefault(v.lower(), set()).add(inc["id"])

    def candidates(self, filters):
        """Incidents a query can match, from the index when every filter pins
        the notable id with equals; else all of them."""
        keys = []
        for flt in filters:
            hit = [c.get("value") for c in (flt.get("conditions") or []) if isinstance(c, dict)
                   and c.get("field_name") == "properties.splunk_notable_event_id"
                   and c.get("method") == "equals" and isinstance(c.get("value"), str)]
            if not hit:
                return sorted(self.incidents.values(), key=lambda i: i["id"])
            keys.append(hit[0].lower())
        for flt in filters:  # conditions are checked even when nothing is indexed
            for c in flt.get("conditions") or []:
                self._match({"properties": {}}, c)
        ids = set()
        for k in keys:
            ids |= self.nidx.get(k, set())
        return sorted((self.incidents[i] for i in ids if i in self.incidents), key=lambda i: i["id"])

    @staticmethod
    def _norm(v):
        if isinstance(v, dict) and "content" in v:
            v = v["content"]
        return v.lower() if isinstance(v, str) else v

    def check_close(self, inc):
        """Closing needs every field marked required "close" (soar-api.md §3.2:
        "a value is required before the object (incident) can be closed")."""
        for f in self.fields:
            if f.get("required") != "close":
                continue
            p = f.get("prefix")
            v = (inc.get(p) or {}).get(f["name"]) if p else inc.get(f["name"])
            if isinstance(v, dict) and "content" in v:
                v = v["content"]
            if v is None or v == "" or v == []:
                label = "%s.%s" % (p, f["name"]) if p else f["name"]
                raise BadRequest("A value is required for field '%s' (%s) to close the incident"
                                 % (label, f["text"]))

    def status_changed(self, inc, was):
        """The server keeps end_date: set when a case closes, cleared when it
        is re-opened."""
        now = inc.get("plan_status")
        if now == "C" and was != "C":
            inc["end_date"] = now_ms()
        elif now != "C" and was == "C":
            inc["end_date"] = None

    def _match(self, inc, c):
        if not isinstance(c, dict) or "field_name" not in c or "method" not in c:
            raise BadRequest("A condition needs 'field_name' and 'method'")
        cur, f = self._fval(inc, c["field_name"])
        meth, val = c["method"], c.get("value")

        def eq(a, b):
            if f and f["input_type"] in ("select", "multiselect") and isinstance(b, str) and not \
                    (f["name"] == "plan_status"):
                b = next((x["value"] for x in f.get("values", []) if x["label"] == b), b)
            if isinstance(a, list):
                return any(self._norm(x) == self._norm(b) for x in a)
            return self._norm(a) == self._norm(b)
        if meth == "equals":
            return eq(cur, val)
        if meth == "not_equals":
            return not eq(cur, val)
        if meth in ("in", "not_in"):
            if not isinstance(val, list):
                raise BadRequest("Method '%s' needs an array value" % meth)
            r = any(eq(cur, v) for v in val)
            return r if meth == "in" else not r
        if meth == "has_a_value":
            return cur not in (None, "", [])
        if meth == "not_has_a_value":
            return cur in (None, "", [])
        if meth in ("contains", "not_contains"):
            r = isinstance(self._norm(cur), str) and str(self._norm(val)) in self._norm(cur)
            return r if meth == "contains" else not r
        if meth in ("gte", "lte", "gt", "lt"):
            if cur is None:
                return False
            try:
                return {"gte": cur >= val, "lte": cur <= val, "gt": cur > val, "lt": cur < val}[meth]
            except TypeError:
                raise BadRequest("Cannot compare field '%s'" % c["field_name"])
        raise BadRequest("Unknown condition method '%s'" % meth)

    def query(self, paged, q, obj):
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise BadRequest("The query must be a JSON object")
        allowed = {"filters", "sorts", "start", "length", "recordsTotal"}
        if set(obj) - allowed:
            raise BadRequest("Unrecognized field \"%s\" (class QueryPagedDTO)" % sorted(set(obj) - allowed)[0])
        filters = obj.get("filters") or []
        if not isinstance(filters, list):
            raise BadRequest("'filters' must be an array")
        if filters and all(isinstance(f, dict) for f in filters):
            rows = self.candidates(filters)
        else:
            rows = sorted(self.incidents.values(), key=lambda i: i["id"])
        if filters:
            out = []
            for inc in rows:
                for flt in filters:
                    if not isinstance(flt, dict) or set(flt) - {"conditions", "logic_type"}:
                        raise BadRequest("Invalid filter")
                    if all(self._match(inc, c) for c in (flt.get("conditions") or [])):
                        out.append(inc)
                        break
            rows = out
        for s in reversed(obj.get("sorts") or []):
            if not isinstance(s, dict) or "field_name" not in s or s.get("type", "asc") not in ("asc", "desc"):
                raise BadRequest("Invalid sort")
            fn = s["field_name"]
            self._fval(rows[0], fn) if rows else None
            rows = sorted(rows, key=lambda i: (self._fval(i, fn)[0] is None, self._fval(i, fn)[0] or 0),
                          reverse=s.get("type") == "desc")
        total = len(self.incidents)
        start, length = obj.get("start", 0), obj.get("length", MAX_PAGE if paged else None)
        if paged:
            if not is_int(start) or start < 0 or not is_int(length) or length < 0:
                raise BadRequest("'start' and 'length' must be non-negative integers")
            if length > MAX_PAGE:
                raise BadRequest("The requested page size %d exceeds the maximum page size of %d"
                                 % (length, MAX_PAGE))
        rl = q.get("return_level", "normal")
        if rl not in ("partial", "normal", "full"):
            raise BadRequest("Invalid return_level '%s'" % rl)
        filt = len(rows)
        if paged:
            rows = rows[start:start + length]
        data = [self.partial(self.render(i, q)) if rl == "partial" else self.render(i, q) for i in rows]
        fh = dict(q).get("field_handle")
        if fh is not None and fh != "-1":
            # field_handle names the custom fields to return (soar-api.md §6.1)
            f = next((x for x in self.fields if x.get("prefix") == "properties"
                      and (x["name"] == fh or str(x["id"]) == fh)), None)
            if f is None:
                raise BadRequest("Unable to find object with ID %s" % fh)
            for d in data:
                props = d.get("properties") or {}
                d["properties"] = {f["name"]: props.get(f["name"])}
        if not paged:
            return jresp(200, data)
        return jresp(200, {"recordsTotal": total, "recordsFiltered": filt, "data": data})

    # ---- patch / put ------------------------------------------------------------
    WRAP = {"text": ("text",), "textarea": ("textarea",), "boolean": ("boolean",),
            "date": ("datepicker", "datetimepicker"), "id": ("select", "select_owner", "select_user"),
            "ids": ("multiselect", "multiselect_members"), "object": None}

    def unwrap(self, f, w, label, allow_missing=False):
        if w is None and allow_missing:
            return Ellipsis
        if not isinstance(w, dict) or len(w) != 1 or next(iter(w)) not in self.WRAP:
            raise BadRequest("Invalid patch value for field '%s': expected one of %s"
                             % (label, "/".join("{\"%s\": …}" % k for k in self.WRAP)))
        k, v = next(iter(w.items()))
        types = self.WRAP[k]
        if types is not None and f["input_type"] not in types:
            raise BadRequest("Patch value type '%s' does not match field '%s' (%s)"
                             % (k, label, f["input_type"]))
        return self.check_value(f, v, label)

    def patch(self, inc, q, obj, headers):
        if not isinstance(obj, dict) or not isinstance(obj.get("changes"), list) \
                or set(obj) - {"changes", "version"}:
            raise BadRequest("Invalid PatchDTO: expected {\"changes\": [...], \"version\": n}")
        version = obj.get("version")
        if version is not None and not is_int(version):
            raise BadRequest("'version' must be an integer")
        plan = []
        for ch in obj["changes"]:
            if not isinstance(ch, dict) or "field" not in ch or "new_value" not in ch \
                    or set(ch) - {"field", "old_value", "new_value"}:
                raise BadRequest("Invalid PatchChangeDTO")
            h = ch["field"]
            if isinstance(h, dict) and len(h) == 1 and ("name" in h or "id" in h):
                h = h.get("name", h.get("id"))
            f = None
            if is_int(h):
                f = next((x for x in self.fields if x["id"] == h), None)
            elif isinstance(h, str):
                # The handle is the plain API name; "properties.x" is not a field name.
                cands = [x for x in self.fields if x["name"] == h]
                f = cands[0] if cands else None
            if f is None:
                raise BadRequest("Unable to find field %s" % json.dumps(ch["field"]))
            if f.get("read_only") or f["name"] in ("id", "create_date"):
                raise BadRequest("Field '%s' is read-only" % f["name"])
            newv = self.unwrap(f, ch["new_value"], f["name"])
            oldv = self.unwrap(f, ch.get("old_value"), f["name"], allow_missing=True) \
                if "old_value" in ch else Ellipsis
            if f.get("required") == "always" and newv in (None, "", []):
                raise BadRequest("A value is required for field '%s'" % f["name"])
            plan.append((f, oldv, newv, ch))
        failures = []
        if version != inc["vers"]:
            for f, oldv, newv, ch in plan:
                p = f.get("prefix")
                cur = (inc.get(p) or {}).get(f["name"]) if p else inc.get(f["name"])
                if oldv is Ellipsis:
                    if version is None:
                        raise BadRequest("Either 'version' or 'old_value' for field '%s' must be "
                                         "given" % f["name"])
                    bad = True
                else:
                    bad = self._norm(oldv) != self._norm(cur) and not (
                        isinstance(oldv, list) and isinstance(cur, list) and sorted(oldv) == sorted(cur))
                if bad:
                    hf = dict(q).get("handle_format") or headers.get("handle_format")
                    failures.append({"field": f["name"] if hf == "names" else f["id"],
                                     "your_original_value": None if oldv is Ellipsis else ch.get("old_value"),
                                     "actual_current_value": self.render(inc, q).get(p, {}).get(f["name"])
                                     if p else self.render(inc, q).get(f["name"])})
        rec = {"inc_id": inc["id"], "body": obj, "version_at_request": inc["vers"]}
        self.patches.append(rec)
        if not failures:
            after = copy.deepcopy(inc)
            for f, oldv, newv, ch in plan:
                p = f.get("prefix")
                (after.setdefault(p, {}) if p else after)[f["name"]] = newv
            if after.get("plan_status") == "C" and inc.get("plan_status") != "C":
                self.check_close(after)
        if failures:
            rec["success"] = False
            names = ", ".join(str(x["field"]) if isinstance(x["field"], str) else
                              next(f["name"] for f in self.fields if f["id"] == x["field"])
                              for x in failures)
            return jresp(200, {"success": False, "title": None, "hints": [],
                               "message": "The incident could not be applied due to a conflicting "
                                          "edit by another user.  The following field(s) were in "
                                          "conflict:  %s." % names,
                               "field_failures": failures})
        was = inc.get("plan_status")
        for f, oldv, newv, ch in plan:
            p = f.get("prefix")
            (inc.setdefault(p, {}) if p else inc)[f["name"]] = newv
        self.status_changed(inc, was)
        inc["vers"] += 1
        inc["inc_last_modified_date"] = now_ms()
        self.index(inc)
        rec["success"] = True
        return jresp(200, {"success": True, "title": None, "message": None, "hints": []})

    def put(self, inc, q, obj):
        self.puts.append({"inc_id": inc["id"], "body": obj})
        if not isinstance(obj, dict):
            raise BadRequest("The request body must be a JSON object")
        if obj.get("vers") != inc["vers"]:
            return jresp(409, status_dto("Conflicting PUT operation: the incident has changed "
                                         "(version %s, you sent %s)" % (inc["vers"], obj.get("vers")),
                                         "conflict"))
        body = {k: v for k, v in obj.items() if k != "artifacts"}
        new = self.validate_incident(body, for_put=True)
        keep = {k: inc[k] for k in ("id", "org_id", "create_date", "creator_id")}
        # Omitted fields become null: the 2.1.1 hazard (§7.4) is reproduced on purpose.
        for f in self.fields:
            p = f.get("prefix")
            if not f.get("read_only"):
                (new.setdefault(p, {}) if p else new).setdefault(f["name"], None)
        new.update(keep)
        if new.get("plan_status") is None:
            new["plan_status"] = inc["plan_status"]
        if new["plan_status"] == "C" and inc["plan_status"] != "C":
            self.check_close(new)
        new["end_date"] = inc.get("end_date")
        was = inc["plan_status"]
        new["vers"] = inc["vers"] + 1
        new["inc_last_modified_date"] = now_ms()
        self.fill_incident(new)
        inc.clear()
        inc.update(new)
        self.status_changed(inc, was)
        self.index(inc)
        return jresp(200, self.render(inc, q))

    # ---- control ----------------------------------------------------------------
    def control(self, method, path, query, obj):
        r = emucommon.common_control(self, method, path, query, obj)
        if r:
            return r
        with self.lock:
            if path == "/_emu/reset" and method == "POST":
                self.reset(keep_sessions=bool((obj or {}).get("keep_sessions")))
                if obj and ("fields_file" in obj or "artifact_types_file" in obj):
                    self.load_catalogues(obj.get("fields_file"), obj.get("artifact_types_file"))
                return 200, {"ok": True}
            if path == "/_emu/catalogue" and method == "POST":
                self.load_catalogues(obj.get("fields_file", obj.get("fields")),
                                     obj.get("artifact_types_file", obj.get("artifact_types")))
                return 200, {"ok": True, "fields": len(self.fields), "artifact_types": len(self.atypes)}
            if path == "/_emu/incidents" and method == "GET":
                return 200, [dict(copy.deepcopy(i), artifacts=[self.out_art(a) for a in self.artifacts.get(k, [])],
                                  comments=copy.deepcopy(self.comments.get(k, [])))
                             for k, i in sorted(self.incidents.items())]
            if path == "/_emu/incidents" and method == "POST":
                items = obj if isinstance(obj, list) else [obj]
                out = []
                for it in items:
                    inc = copy.deepcopy(it)
                    inc.pop("artifacts", None)
                    if "id" not in inc:
                        inc["id"] = self.next_inc
                    self.next_inc = max(self.next_inc, inc["id"]) + 1
                    inc.setdefault("org_id", self.cfg["orgs"][0]["id"])
                    inc.setdefault("vers", 1)
                    inc.setdefault("create_date", now_ms())
                    inc.setdefault("inc_last_modified_date", inc["create_date"])
                    inc.setdefault("discovered_date", inc["create_date"])
                    inc.setdefault("properties", {})
                    for f in self.fields:  # stored textarea form is {"format","content"}
                        p = f.get("prefix")
                        tgt = inc.get(p) if p else inc
                        if f["input_type"] == "textarea" and isinstance(tgt, dict) \
                                and isinstance(tgt.get(f["name"]), str):
                            tgt[f["name"]] = {"format": "text", "content": tgt[f["name"]]}
                    self.fill_incident(inc)
                    self.incidents[inc["id"]] = inc
                    self.index(inc)
                    for a in it.get("artifacts") or []:
                        self.add_artifact(inc["id"], self.check_artifact(a, inc["id"]))
                    out.append(inc)
                return 200, out
            m = re.match(r"^/_emu/close/(\d+)$", path)
            if m and method == "POST":
                # closed in the UI: the close form asks for the fields marked
                # required "close" (a body without them uses the defaults an
                # analyst would pick: Resolved, a one-line summary)
                inc = self.incidents.get(int(m.group(1)))
                if not inc:
                    return 404, {"error": "no such incident"}
                body = obj if obj is not None else {
                    "resolution_id": "Resolved", "resolution_summary": "Closed in the emulator"}
                if inc.get("plan_status") == "C":
                    return 400, {"error": "incident %d is already closed" % inc["id"]}
                try:
                    after = copy.deepcopy(inc)
                    for k, v in body.items():
                        if k == "end_date":
                            continue
                        f = self.field(k, None)
                        if f is None or f.get("read_only"):
                            raise BadRequest("cannot set '%s' when closing" % k)
                        after[k] = self.check_value(f, v, k)
                    after["plan_status"] = "C"
                    self.check_close(after)
                except BadRequest as e:
                    return 400, {"error": str(e)}
                inc.clear()
                inc.update(after)
                inc["end_date"] = body.get("end_date", now_ms())
                inc["vers"] += 1
                inc["inc_last_modified_date"] = now_ms()
                return 200, self.render(inc, [])
            m = re.match(r"^/_emu/reopen/(\d+)$", path)
            if m and method == "POST":
                inc = self.incidents.get(int(m.group(1)))
                if not inc:
                    return 404, {"error": "no such incident"}
                if inc.get("plan_status") != "C":
                    return 400, {"error": "incident %d is not closed" % inc["id"]}
                inc["plan_status"] = "A"
                inc["end_date"] = None
                inc["vers"] += 1
                inc["inc_last_modified_date"] = now_ms()
                return 200, self.render(inc, [])
            m = re.match(r"^/_emu/bump/(\d+)$", path)
            if m and method == "POST":  # a concurrent edit by "another user"
                inc = self.incidents.get(int(m.group(1)))
                if not inc:
                    return 404, {"error": "no such incident"}
                for k, v in (obj or {}).items():
                    if k == "properties":
                        inc.setdefault("properties", {}).update(v)
                    else:
                        inc[k] = v
                inc["vers"] += 1
                self.index(inc)
                return 200, inc
            if path == "/_emu/state" and method == "GET":
                return 200, {"logins": self.logins, "puts": self.puts, "patches": self.patches,
                             "sessions": [{"email": s["principal"].get("email"),
                                           "interactive": s["interactive"]}
                                          for s in self.sessions.values()],
                             "interactive_logins": sum(1 for x in self.logins if x.get("interactive")),
                             "incident_count": len(self.incidents)}
            if path == "/_emu/expire_sessions" and method == "POST":
                self.sessions.clear()
                return 200, {"ok": True}
        return 404, {"error": "unknown control path %s %s" % (method, path)}


class SoarHandler(emucommon.BaseHandler):
    server_version = "Apache-Coyote/1.1"

    def route(self, method, path, query, body):
        return self.server.emu.route(method, path, query, body, self.headers)


def load_config(args):
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    if args.config:
        with open(args.config) as fh:
            user = json.load(fh)
        base = os.path.dirname(os.path.abspath(args.config))
        for k in ("fields_file", "artifact_types_file"):
            if k in user and not os.path.isabs(user[k]):
                user[k] = os.path.join(base, user[k])
        cfg.update(user)
    if args.fields:
        cfg["fields_file"] = args.fields
    if args.artifact_types:
        cfg["artifact_types_file"] = args.artifact_types
    for spec in args.user or []:
        e, p = spec.split(":", 1)
        cfg["users"].append({"email": e, "password": p, "user_id": 100 + len(cfg["users"]),
                             "orgs": [cfg["orgs"][0]["id"]]})
    for spec in args.api_key or []:
        i, s = spec.split(":", 1)
        cfg["api_keys"].append({"id": i, "secret": s, "user_id": 3, "orgs": [cfg["orgs"][0]["id"]]})
    return cfg


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    emucommon.add_common_args(p)
    p.add_argument("--fields", help="incident field catalogue (JSON array of FieldDefDTO)")
    p.add_argument("--artifact-types", help="artifact types (JSON array)")
    p.add_argument("--user", action="append", help="extra user email:password (org = first org)")
    p.add_argument("--api-key", action="append", help="extra API key id:secret")
    args = p.parse_args()
    if not args.plain and not (args.cert and args.key):
        p.error("--cert and --key are required (or --plain)")
    emu = SoarEmu(load_config(args))
    SoarHandler.recorder = emu.recorder
    SoarHandler.faults = emu.faults
    emucommon.serve(emu, SoarHandler, args)


if __name__ == "__main__":
    main()
