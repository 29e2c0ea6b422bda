#!/usr/bin/env python3
"""Strict splunkd REST emulator (HTTPS on loopback) for the SA_QRadar_SOAR tests.

Endpoints from splunk-protocol.md §4.7 and §5: storage/passwords, saved searches,
alert_actions, configs/conf-*, data/ui/alerts, apps/local, notable_update, messages,
restmap `scripttype = persist` handlers driven over persistconn, and a minimal Splunk
Web (views, static files, /splunkd/__raw proxy with X-Splunk-Form-Key).
Standard library only.  See README.md in this directory."""
import argparse
import configparser
import copy
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import time
import urllib.parse
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emucommon  # noqa: E402
import kvstore  # noqa: E402
import persistconn  # noqa: E402

APP = "SA_QRadar_SOAR"
ALL_CAPS = ["admin_all_objects", "list_storage_passwords", "edit_storage_passwords",
            "edit_notable_events", "list_settings", "edit_messages", "rest_apps_management"]

DEFAULT_CONFIG = {
    "app": APP,
    "users": {
        "admin": {"capabilities": ALL_CAPS, "roles": ["admin"], "password": "changeme1"},
        "analyst": {"capabilities": ["edit_notable_events", "list_settings"],
                    "roles": ["ess_analyst"], "password": "analyst1"},
        "user": {"capabilities": [], "roles": ["user"], "password": "user1"},
        "splunk-system-user": {"capabilities": ALL_CAPS, "roles": ["admin"]},
    },
    "session_keys": {"admin-session-key": "admin", "analyst-session-key": "analyst",
                     "user-session-key": "user", "system-session-key": "splunk-system-user"},
    "system_session_key": "system-session-key",
    "passwords": [],
    "saved_searches": [],
    "conf": {"alert_actions": {"qradar_soar": {"is_custom": "1", "label": "QRadar SOAR",
                                               "payload_format": "json"}},
             "app": {"install": {"is_configured": "0"}, "ui": {"setup_view": "setup_page"}}},
    "restmap": [],
    "app_dir": None,
    # Enterprise Security present: /services/notable_update answers
    "es_installed": True,
    # ES's notable statuses (reviewstatuses.conf, served at alerts/reviewstatuses):
    # the six defaults of kvstore-and-sync.md §3.1 with ES's own descriptions
    # ("Configure notable events"); a site may add, rename or disable
    # statuses, so clients resolve them at run time
    "reviewstatuses": {
        "0": {"label": "Unassigned", "description": "The event has not been assigned"},
        "1": {"label": "New", "description": "Event has not been reviewed", "default": "1"},
        "2": {"label": "In Progress", "description": "Investigation or response is in-process"},
        "3": {"label": "Pending", "description": "Event closure is pending some action"},
        "4": {"label": "Resolved", "description": "The issue has been resolved and awaits verification"},
        "5": {"label": "Closed", "description": "Issue has been resolved and verified"},
    },
}

# ES's notable_update accepts rule ids of this shape only (its handler's
# check); the same as notable event_ids: <uuid>@@<index>@@<hash>
RULE_ID_RX = re.compile(r"^[A-Za-z0-9-]+@@[A-Za-z0-9_.-]+@@[A-Za-z0-9]+$")
URGENCIES = ("informational", "low", "medium", "high", "critical")
# saved/searches/{name} POST: the settings a scheduled alert has
SAVED_SEARCH_ARGS = re.compile(r"^(disabled|is_scheduled|cron_schedule|description|search|"
                               r"enableSched|schedule_window|max_concurrent|"
                               r"(action|alert|dispatch|counttype|relation|quantity)(\..*)?)$")


def form_or_json(headers, body):
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if not body:
        return [], ctype
    if ctype == "application/x-www-form-urlencoded" or not ctype:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True), ctype
    return None, ctype


def err(status, text, json_mode=True, kind="ERROR"):
    if json_mode:
        return emucommon.jresp(status, {"messages": [{"type": kind, "text": text}]})
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <messages>\n    '
            '<msg type="%s">%s</msg>\n  </messages>\n</response>\n' % (kind, escape(text)))
    return status, {"Content-Type": "text/xml; charset=UTF-8"}, body.encode()


class SplunkdEmu:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.recorder = emucommon.Recorder()
        self.faults = emucommon.Faults()
        self.handlers = {}
        self.port = None
        self.kv = kvstore.KVStore(cfg["app"])
        for path in cfg.get("collections_files", []):
            self.kv.declare_file(path)
        for path in cfg.get("meta_files", []):
            self.kv.load_meta(path)
        for name, settings in cfg.get("collections", {}).items():
            self.kv.declare(name, settings)
        self.reset(initial=True)

    def reset(self, initial=False):
        with self.lock:
            self.passwords = {}
            for p in self.cfg.get("passwords", []):
                self._put_password(p.get("realm", ""), p["username"], p["password"], p.get("app", APP))
            self.saved = {}
            for s in self.cfg.get("saved_searches", []):
                self.saved[(s.get("owner", "nobody"), s.get("app", APP), s["name"])] = dict(s.get("content", {}))
            self.conf = copy.deepcopy(self.cfg.get("conf", {}))
            self.alert_html = None
            self.app_state = {"configured": "0", "reloads": 0}
            self.notable_updates = []
            # per rule id, as ES's incident_review keeps them: every change
            # {time, status, owner, urgency, comment, user}, oldest first
            self.notables = {}
            self.es_installed = bool(self.cfg.get("es_installed", True))
            self.reviewstatuses = {}
            for sid, st in self.cfg.get("reviewstatuses", {}).items():
                self._put_status(sid, st)
            self.messages = {}
            self.writes = []
            self.web_sessions = {}
            self.kv.reset()
        if not initial:
            self.recorder.clear()
            self.faults.clear()

    # ---- helpers ---------------------------------------------------------------
    @staticmethod
    def pw_name(realm, user):
        esc = lambda s: s.replace(":", "\\:")  # noqa: E731
        return "%s:%s:" % (esc(realm or ""), esc(user))

    def _put_password(self, realm, user, pw, app):
        name = self.pw_name(realm, user)
        self.passwords[name] = {"realm": realm or "", "username": user, "clear_password": pw,
                                "app": app}
        return name

    def _put_status(self, sid, st):
        """One notable status as reviewstatuses.conf holds it (every value a
        string; status_type notable, enabled, not the default unless said)."""
        cur = self.reviewstatuses.get(str(sid), {"label": "", "description": "", "status_type": "notable",
                                                 "disabled": "0", "default": "0"})
        cur.update({k: str(v) for k, v in st.items() if k != "id"})
        self.reviewstatuses[str(sid)] = cur

    def notable_status(self, sid):
        """The enabled notable status named by id sid, or None."""
        st = self.reviewstatuses.get(str(sid).strip().lstrip("+"))
        if st and st.get("status_type") == "notable" and st.get("disabled") in ("0", "false"):
            return st
        return None

    def caps(self, user):
        return set(self.cfg["users"].get(user, {}).get("capabilities", []))

    def entry(self, name, content, app=None, owner="nobody", path=""):
        base = "https://127.0.0.1:%s" % self.port
        return {"name": name, "id": base + path, "updated": "2026-01-01T00:00:00+00:00",
                "links": {"alternate": path}, "author": owner,
                "acl": {"app": app or self.cfg["app"], "owner": owner, "sharing": "app",
                        "can_write": True, "modifiable": True,
                        "perms": {"read": ["*"], "write": ["admin"]}},
                "content": content}

    def feed(self, entries, json_mode, status=200):
        if json_mode:
            return emucommon.jresp(status, {"links": {}, "origin": "", "updated": "",
                                            "generator": {"build": "emu", "version": "9.2.0"},
                                            "entry": entries, "paging": {"total": len(entries),
                                                                         "perPage": 30, "offset": 0},
                                            "messages": []})
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest">']
        for e in entries:
            parts.append("<entry><title>%s</title><content type=\"text/xml\"><s:dict>" % escape(e["name"]))
            for k, v in e["content"].items():
                parts.append('<s:key name="%s">%s</s:key>' % (escape(k), escape(str(v))))
            parts.append("</s:dict></content></entry>")
        parts.append("</feed>")
        return status, {"Content-Type": "text/xml; charset=UTF-8"}, "\n".join(parts).encode()

    # ---- dispatch --------------------------------------------------------------
    def route(self, method, path, query, body, headers, client_ip="127.0.0.1"):
        if path.startswith("/en-US/"):
            return self.route_web(method, path, query, body, headers)
        qd = dict(query)
        json_mode = qd.get("output_mode") == "json"
        auth = headers.get("Authorization") or ""
        m = re.match(r"^Splunk (\S+)$", auth)
        user = self.cfg["session_keys"].get(m.group(1)) if m else None
        if user is None:
            # splunkd's own answer to an unknown or expired session key:
            # a WARN message (the body public splunkd clients quote)
            return err(401, "call not properly authenticated", json_mode, "WARN")
        return self.dispatch(method, path, query, body, headers, user, m.group(1), json_mode)

    def split_ns(self, path):
        m = re.match(r"^/servicesNS/([^/]+)/([^/]+)(/.*)$", path)
        if m:
            return urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2)), m.group(3)
        m = re.match(r"^/services(/.*)$", path)
        if m:
            return "-", "-", m.group(1)
        return None, None, None

    def dispatch(self, method, path, query, body, headers, user, token, json_mode):
        owner, app, rest = self.split_ns(path)
        if rest is None:
            return err(404, "Not Found", json_mode)
        caps = self.caps(user)
        for h in self.cfg.get("restmap", []):
            if rest == h["match"] or rest.startswith(h["match"] + "/"):
                return self.persist(h, method, path, rest, owner, app, query, body, headers,
                                    user, token)
        m = re.match(r"^/storage/collections/(data|config)(?:/([^/]+))?(?:/([^/]+))?$", rest)
        if m or rest == "/kvstore/status":
            with self.lock:
                return self.r_kvstore(m, method, query, body, headers, owner, app, user, json_mode, path)
        form, ctype = (None, "")
        if method in ("POST", "DELETE"):
            form, ctype = form_or_json(headers, body)
        with self.lock:
            if rest.startswith("/storage/passwords"):
                return self.r_passwords(method, rest, app, form, caps, json_mode, path)
            m = re.match(r"^/saved/searches/([^/]+)(/enable|/disable)?$", rest)
            if m:
                return self.r_saved(method, urllib.parse.unquote(m.group(1)), m.group(2), owner,
                                    app, form, caps, json_mode, path, user)
            m = re.match(r"^/alerts/alert_actions/([^/]+)$", rest)
            if m:
                return self.r_conf(method, "alert_actions", urllib.parse.unquote(m.group(1)), form,
                                   ctype, caps, json_mode, path, user)
            m = re.match(r"^/configs/conf-([^/]+)(?:/([^/]+))?$", rest)
            if m:
                return self.r_conf(method, m.group(1), urllib.parse.unquote(m.group(2) or ""), form,
                                   ctype, caps, json_mode, path, user)
            m = re.match(r"^/properties/([^/]+)/([^/]+)$", rest)
            if m and method == "GET":
                return self.r_conf("GET", m.group(1), urllib.parse.unquote(m.group(2)), None, "",
                                   caps, True, path, user)
            m = re.match(r"^/data/ui/alerts/([^/]+)$", rest)
            if m:
                if method == "GET":
                    return self.feed([self.entry(m.group(1), {"eai:data": self.alert_html or ""},
                                                 path=path)], json_mode)
                if method != "POST":
                    return err(405, "Method not allowed", json_mode)
                if form is None:
                    return err(400, "Request body must be form-encoded", json_mode)
                if "admin_all_objects" not in caps:
                    return err(403, "You (user=%s) do not have permission to perform this operation "
                                    "(requires capability: admin_all_objects)." % user, json_mode)
                fd = dict(form)
                if "eai:data" not in fd:
                    return err(400, "Missing argument eai:data", json_mode)
                self.alert_html = fd["eai:data"]
                self.writes.append({"what": "data/ui/alerts", "user": user, "form": form})
                return self.feed([self.entry(m.group(1), {"eai:data": self.alert_html}, path=path)],
                                 json_mode)
            m = re.match(r"^/apps/local/([^/]+)(/_reload)?$", rest)
            if m:
                if method == "GET":
                    return self.feed([self.entry(m.group(1), {"configured": self.app_state["configured"],
                                                              "visible": "1", "label": "QRadar SOAR"},
                                                 path=path)], json_mode)
                if method != "POST":
                    return err(405, "Method not allowed", json_mode)
                if "admin_all_objects" not in caps and "rest_apps_management" not in caps:
                    return err(403, "Permission denied", json_mode)
                if m.group(2):
                    self.app_state["reloads"] += 1
                else:
                    if form is None:
                        return err(400, "Request body must be form-encoded", json_mode)
                    for k, v in form:
                        if k not in ("configured", "visible", "label", "version", "description"):
                            return err(400, "Argument \"%s\" is not supported by this handler." % k,
                                       json_mode)
                        self.app_state[k] = v
                    self.writes.append({"what": "apps/local", "user": user, "form": form})
                return self.feed([self.entry(m.group(1), {"configured": self.app_state["configured"]},
                                             path=path)], json_mode)
            m = re.match(r"^/alerts/reviewstatuses(?:/([^/]+))?$", rest)
            if m:
                return self.r_reviewstatuses(method, m.group(1), json_mode, path)
            if rest == "/notable_update":
                return self.r_notable(method, form, ctype, caps, query, user)
            m = re.match(r"^/messages(?:/([^/]+))?$", rest)
            if m:
                return self.r_messages(method, m.group(1), form, ctype, json_mode, path, user)
        return err(404, "Not Found: %s" % rest, json_mode)

    # ---- KV store (kvstore.py) -------------------------------------------------
    def r_kvstore(self, m, method, query, body, headers, owner, app, user, json_mode, path):
        roles = self.cfg["users"].get(user, {}).get("roles", [])
        caps = self.caps(user)
        if m is None:  # /services/kvstore/status
            if method != "GET":
                return err(405, "Method not allowed", json_mode)
            return self.feed([self.entry("kvstore", {"current": {"status": self.kv.status}}, path=path)],
                             json_mode)
        if m.group(1) == "config":
            if method != "GET" or m.group(3):
                return err(405, "Method not allowed", json_mode)
            if self.kv.status != "ready":
                return err(503, kvstore.NOT_READY.get(self.kv.status, kvstore.NOT_READY["down"]), json_mode)
            name = urllib.parse.unquote(m.group(2)) if m.group(2) else None
            items = [self.entry(n, s, path=path) for n, s in self.kv.config_feed(app) if name in (None, n)]
            if name and not items:
                return err(404, "Could not find object id=%s" % name, json_mode)
            return self.feed(items, json_mode)
        coll = urllib.parse.unquote(m.group(2) or "")
        key = urllib.parse.unquote(m.group(3)) if m.group(3) else None
        if not coll:
            return err(404, "Not Found", True)
        if key == "batch_save" and method != "POST":
            return err(405, "Method not allowed", True)
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        st, obj = self.kv.handle(method, coll, key, query, body, ctype, owner, app, user, roles, caps)
        if obj is None:
            return st, {"Content-Type": "application/json"}, b""
        return emucommon.jresp(st, obj)

    # ---- storage/passwords -----------------------------------------------------
    def r_passwords(self, method, rest, app, form, caps, json_mode, path):
        m = re.match(r"^/storage/passwords(?:/([^/]+))?$", rest)
        if not m:
            return err(404, "Not Found", json_mode)
        name = urllib.parse.unquote(m.group(1)) if m.group(1) else None
        if app == "-" and method != "GET":
            return err(400, "Wildcard namespaces are not allowed for this operation", json_mode)

        def visible(p):
            return app in ("-", p["app"])

        def ent(n, p):
            c = {"clear_password": p["clear_password"], "encr_password": "$7$" + "x" * 20,
                 "password": "********", "realm": p["realm"], "username": p["username"]}
            return self.entry(n, c, p["app"], "nobody", path)
        if method == "GET":
            if "list_storage_passwords" not in caps:
                return err(403, "You (user) do not have permission to perform this operation "
                                "(requires capability: list_storage_passwords OR admin_all_objects).",
                           json_mode)
            if name is None:
                return self.feed([ent(n, p) for n, p in sorted(self.passwords.items()) if visible(p)],
                                 json_mode)
            p = self.passwords.get(name)
            if p is None or not visible(p):
                return err(404, "Could not find object id=%s" % name, json_mode)
            return self.feed([ent(name, p)], json_mode)
        if not caps & {"admin_all_objects", "edit_storage_passwords"}:
            return err(403, "You do not have permission to perform this operation "
                            "(requires capability: edit_storage_passwords OR admin_all_objects).",
                       json_mode)
        if method == "DELETE":
            if name not in self.passwords:
                return err(404, "Could not find object id=%s" % name, json_mode)
            del self.passwords[name]
            self.writes.append({"what": "passwords.delete", "name": name})
            return self.feed([], json_mode)
        if method != "POST":
            return err(405, "Method not allowed", json_mode)
        if form is None:
            return err(400, "Request body must be form-encoded", json_mode)
        fd = dict(form)
        if name is None:
            if not fd.get("name") or "password" not in fd:
                return err(400, "Missing argument: name and password are required", json_mode)
            if set(fd) - {"name", "password", "realm", "output_mode"}:
                return err(400, "Argument \"%s\" is not supported by this handler."
                           % sorted(set(fd) - {"name", "password", "realm", "output_mode"})[0], json_mode)
            n = self.pw_name(fd.get("realm", ""), fd["name"])
            if n in self.passwords:
                return err(409, "An object with name=%s already exists" % n, json_mode)
            self._put_password(fd.get("realm", ""), fd["name"], fd["password"], app)
            self.writes.append({"what": "passwords.create", "name": n})
            return self.feed([ent(n, self.passwords[n])], json_mode, status=201)
        p = self.passwords.get(name)
        if p is None:
            return err(404, "Could not find object id=%s" % name, json_mode)
        if set(fd) - {"password", "output_mode"} or "password" not in fd:
            return err(400, "Only 'password' can be updated", json_mode)
        p["clear_password"] = fd["password"]
        self.writes.append({"what": "passwords.update", "name": name})
        return self.feed([ent(name, p)], json_mode)

    # ---- configs ---------------------------------------------------------------
    def r_conf(self, method, file, stanza, form, ctype, caps, json_mode, path, user):
        conf = self.conf.setdefault(file, {})
        if method == "GET":
            if not stanza:
                return self.feed([self.entry(s, dict(c), path=path) for s, c in sorted(conf.items())],
                                 json_mode)
            if stanza not in conf:
                return err(404, "Could not find object id=%s" % stanza, json_mode)
            return self.feed([self.entry(stanza, dict(conf[stanza]), path=path)], json_mode)
        if method == "DELETE" and stanza:
            if "admin_all_objects" not in caps:
                return err(403, "You (user=%s) do not have permission to perform this operation "
                                "(requires capability: admin_all_objects)." % user, json_mode)
            if stanza not in conf:
                return err(404, "Could not find object id=%s" % stanza, json_mode)
            del conf[stanza]
            self.writes.append({"what": "conf-%s/%s" % (file, stanza), "user": user, "form": "DELETE"})
            return self.feed([], json_mode)
        if method != "POST":
            return err(405, "Method not allowed", json_mode)
        if form is None:
            return err(400, "Request body must be form-encoded (got %s)" % ctype, json_mode)
        if "admin_all_objects" not in caps:
            return err(403, "You (user=%s) do not have permission to perform this operation "
                            "(requires capability: admin_all_objects)." % user, json_mode)
        fd = [(k, v) for k, v in form if k != "output_mode"]
        if not stanza:
            d = dict(fd)
            if "name" not in d:
                return err(400, "Missing argument: name", json_mode)
            stanza = d.pop("name")
            if stanza in conf:
                return err(409, "An object with name=%s already exists" % stanza, json_mode)
            conf[stanza] = {}
            fd = list(d.items())
        elif stanza not in conf:
            return err(404, "Could not find object id=%s" % stanza, json_mode)
        for k, v in fd:
            if k.startswith("eai:") or k == "name":
                return err(400, "Argument \"%s\" is not supported by this handler." % k, json_mode)
            conf[stanza][k] = v
        self.writes.append({"what": "conf-%s/%s" % (file, stanza), "user": user, "form": form})
        return self.feed([self.entry(stanza, dict(conf[stanza]), path=path)], json_mode)

    # ---- saved searches -------------------------------------------------------
    def r_saved(self, method, name, action, owner, app, form, caps, json_mode, path, user):
        hit = None
        for (o, a, n), c in self.saved.items():
            if n == name and (app in ("-", a)) and (owner in ("-", "nobody", o)):
                hit = (o, a, n)
        if hit is None:
            return err(404, "Could not find object id=%s" % name, json_mode)
        c = self.saved[hit]
        if method == "GET" and not action:
            return self.feed([self.entry(name, c, hit[1], hit[0], path)], json_mode)
        if method != "POST":
            return err(405, "Method not allowed", json_mode)
        if form is None:
            return err(400, "Request body must be form-encoded", json_mode)
        if "admin_all_objects" not in caps:
            return err(403, "You (user=%s) do not have permission to perform this operation "
                            "(requires capability: admin_all_objects)." % user, json_mode)
        if action:
            if form:
                return err(400, "Argument \"%s\" is not supported by this handler." % form[0][0],
                           json_mode)
            c["disabled"] = "1" if action == "/disable" else "0"
        else:
            for k, v in form:
                if k == "output_mode":
                    continue
                if not SAVED_SEARCH_ARGS.match(k):
                    return err(400, "Argument \"%s\" is not supported by this handler." % k,
                               json_mode)
                if k == "disabled":
                    if v.lower() not in ("0", "1", "true", "false"):
                        return err(400, "Invalid value for disabled: %s" % v, json_mode)
                    v = "1" if v.lower() in ("1", "true") else "0"
                c[k] = v
        self.writes.append({"what": "saved/searches/%s%s" % (name, action or ""), "user": user,
                            "form": form})
        return self.feed([self.entry(name, c, hit[1], hit[0], path)], json_mode)

    # ---- notable_update / messages --------------------------------------------
    def r_notable(self, method, form, ctype, caps, query, user):
        """ES's notable_update (its persist handler): by ruleUIDs it writes a
        review record per id without looking the notable up (an unknown but
        well-formed id "succeeds"), and without a transition check (closing a
        closed notable adds another record); malformed ids and values are
        refused with ValueError messages."""
        def fail(st, msg):
            return emucommon.jresp(st, {"success": False, "message": msg})
        if not self.es_installed:
            return err(404, "Not Found: /notable_update", dict(query).get("output_mode") == "json")
        if method != "POST":
            return fail(405, "Invalid method for this endpoint")
        if form is None or ctype != "application/x-www-form-urlencoded":
            return fail(400, "notable_update requires application/x-www-form-urlencoded "
                             "(got %s)" % (ctype or "no body"))
        if "edit_notable_events" not in caps:
            return fail(403, "User %s does not have the edit_notable_events capability" % user)
        rule_uids = [v for k, v in form if k in ("ruleUIDs", "ruleUIDs[]")]
        fd = dict(form)
        allowed = {"ruleUIDs", "ruleUIDs[]", "comment", "status", "urgency", "newOwner",
                   "searchID", "disposition", "output_mode"}
        bad = sorted(set(fd) - allowed)
        if bad:
            return fail(400, "Unknown parameter: %s" % bad[0])
        if any(not RULE_ID_RX.match(r) for r in rule_uids):
            return fail(400, "ValueError: Invalid rule_id value.")
        status = fd.get("status") or None
        # the status is the id of one of ES's enabled notable statuses
        if status is not None and (not re.match(r"^\s*[+-]?\d+\s*$", status)
                                   or self.notable_status(status) is None):
            return fail(400, "ValueError: Invalid status value.")
        urgency = fd.get("urgency") or None
        if urgency is not None and urgency not in URGENCIES:
            return fail(400, "ValueError: Invalid urgency value.")
        owner = fd.get("newOwner") or None
        if owner is not None and owner not in self.cfg["users"]:
            return fail(400, "ValueError: Invalid owner value.")
        comment = fd.get("comment", "")
        if not any([comment, status, owner, urgency]):
            return fail(400, "ValueError: One of comment, owner, status, urgency is required.")
        if not rule_uids:
            return emucommon.jresp(200, {"success": False,
                                         "message": "No search ID or ruleUIDs were provided."})
        self.notable_updates.append({"user": user, "ruleUIDs": rule_uids, "form": form})
        now = time.time()
        for r in rule_uids:
            hist = self.notables.setdefault(r, [])
            last = hist[-1] if hist else {}
            st = status.strip().lstrip("+") if status else last.get("status")
            hist.append({"time": now, "status": st,
                         "status_label": self.reviewstatuses.get(st, {}).get("label") if st else None,
                         "owner": owner or last.get("owner"),
                         "urgency": urgency or last.get("urgency"), "comment": comment,
                         "user": user})
        mode = dict(query).get("output_mode", fd.get("output_mode"))
        msg = "%d event%s updated successfully" % (len(rule_uids), "" if len(rule_uids) == 1 else "s")
        if mode != "json":
            return 200, {"Content-Type": "text/xml"}, ("<response><success>1</success><message>%s"
                                                        "</message></response>" % msg).encode()
        return emucommon.jresp(200, {"success": True, "message": msg, "details": {},
                                     "failure_count": 0, "success_count": len(rule_uids)})

    def r_reviewstatuses(self, method, name, json_mode, path):
        """ES's review statuses (alerts/reviewstatuses): entries named by
        their id, content as in reviewstatuses.conf; ES absent: 404."""
        if not self.es_installed:
            return err(404, "Not Found: /alerts/reviewstatuses", json_mode)
        if method != "GET":
            return err(405, "Method not allowed", json_mode)
        name = urllib.parse.unquote(name) if name else None
        items = [self.entry(i, dict(st), app="SA-ThreatIntelligence", path=path)
                 for i, st in sorted(self.reviewstatuses.items(), key=lambda x: int(x[0]))
                 if name in (None, i)]
        if name and not items:
            return err(404, "Could not find object id=%s" % name, json_mode)
        return self.feed(items, json_mode)

    def r_messages(self, method, name, form, ctype, json_mode, path, user):
        if method == "GET":
            items = [self.entry(n, m, path=path) for n, m in sorted(self.messages.items())
                     if name in (None, n)]
            if name and not items:
                return err(404, "Could not find object id=%s" % name, json_mode)
            return self.feed(items, json_mode)
        if method == "DELETE" and name:
            if self.messages.pop(name, None) is None:
                return err(404, "Could not find object id=%s" % name, json_mode)
            return self.feed([], json_mode)
        if method != "POST" or name:
            return err(405, "Method not allowed", json_mode)
        if form is None:
            if ctype == "application/json":
                return err(400, "messages requires form-encoded arguments", json_mode)
            return err(400, "Request body must be form-encoded", json_mode)
        fd = dict(form)
        if not fd.get("name") or not fd.get("value"):
            return err(400, "Missing argument: name and value are required", json_mode)
        sev = fd.get("severity", "warn")
        if sev not in ("info", "warn", "error"):
            return err(400, "Invalid severity '%s' (info, warn, error)" % sev, json_mode)
        self.messages[fd["name"]] = {"message": fd["value"], "value": fd["value"], "severity": sev,
                                     "capability": [v for k, v in form if k == "capability"],
                                     "role": [v for k, v in form if k == "role"],
                                     "timeCreated_epochSecs": int(time.time())}
        self.writes.append({"what": "messages", "user": user, "form": form})
        return self.feed([self.entry(fd["name"], self.messages[fd["name"]], path=path)], json_mode, 201)

    # ---- restmap persist handlers ---------------------------------------------
    def handler_for(self, h):
        key = h["match"]
        with self.lock:
            ph = self.handlers.get(key)
            if ph is None:
                argv = [h["driver"]] + list(h.get("driver_args", []))
                env = dict(h.get("driver_env", {}))
                cmd = [h.get("script", h["driver"])] + list(h.get("script_args", []))
                ph = persistconn.PersistentHandler(argv, cmd, h.get("command_arg", ""), env=env,
                                                   cwd=h.get("cwd"), timeout=h.get("timeout", 60),
                                                   init_mode=h.get("init_mode", "separate"))
                self.handlers[key] = ph
            return ph

    def persist(self, h, method, path, rest, owner, app, query, body, headers, user, token):
        caps = self.caps(user)
        need = h.get("capability.%s" % method.lower(), h.get("capability"))
        if need and need not in caps:
            return err(403, "You (user=%s) do not have permission to perform this operation "
                            "(requires capability: %s)." % (user, need), True)
        form, ctype = form_or_json(headers, body) if method in ("POST", "PUT", "DELETE") else ([], "")
        req = {"method": method, "rest_path": rest, "path_info": rest[len(h["match"]):].lstrip("/") or None,
               "query": [[k, v] for k, v in query],
               "form": [[k, v] for k, v in (form or [])],
               "headers": [[k, v] for k, v in headers.items() if k.lower() != "authorization"],
               "session": {"user": user, "authtoken": token},
               "ns": {"app": app if app != "-" else None, "user": owner if owner != "-" else None},
               "server": {"rest_uri": "https://127.0.0.1:%d" % self.port,
                          "hostname": socket.gethostname(), "servername": "emu-splunkd",
                          "guid": "00000000-0000-4000-8000-000000000001"},
               "connection": {"src_ip": "127.0.0.1", "ssl": True},
               "output_mode": dict(query).get("output_mode", h.get("output_mode", "json")),
               "restmap": {"name": "script:" + h.get("name", "qradar_soar_setup"), "conf": {}}}
        if h.get("passSystemAuth"):
            req["system_authtoken"] = self.cfg["system_session_key"]
        if h.get("passPayload") and body:
            req["payload"] = body.decode("utf-8", "replace")
        with self.lock:
            self.writes.append({"what": "persist", "match": h["match"], "request": req})
        try:
            rep = self.handler_for(h).request(req)
        except persistconn.ProtocolError as e:
            return err(500, "REST handler failed: %s" % e, True)
        payload = rep.get("payload")
        hdrs = {}
        if isinstance(rep.get("headers"), dict):
            hdrs.update({str(k): str(v) for k, v in rep["headers"].items()})
        if isinstance(payload, (dict, list)):
            out = json.dumps(payload).encode()
            hdrs.setdefault("Content-Type", "application/json")
        else:
            out = (payload or "").encode() if isinstance(payload, str) else b""
            hdrs.setdefault("Content-Type", "application/json" if out[:1] in (b"{", b"[") else "text/plain")
        return rep["status"], hdrs, out

    def shutdown(self):
        for ph in list(self.handlers.values()):
            ph.stop()

    # ---- Splunk Web --------------------------------------------------------------
    def web_login(self, user):
        sk = "web-" + secrets.token_hex(12)
        fk = secrets.token_hex(10)
        with self.lock:
            self.cfg["session_keys"][sk] = user
            self.web_sessions[sk] = {"user": user, "form_key": fk}
        return sk, fk

    def web_session(self, headers):
        for part in (headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k.startswith("splunkd_") and v in self.web_sessions:
                return v, self.web_sessions[v]
        return None, None

    def route_web(self, method, path, query, body, headers):
        app_dir = self.cfg.get("app_dir")
        cookie_port = self.port
        if path == "/en-US/account/login" and method == "POST":
            form, _ = form_or_json(headers, body)
            fd = dict(form or [])
            u = self.cfg["users"].get(fd.get("username"))
            if not u or u.get("password") is None or u["password"] != fd.get("password"):
                return 401, {"Content-Type": "text/plain"}, b"Login failed"
            sk, fk = self.web_login(fd["username"])
            return 200, {"Content-Type": "application/json", "_set_cookie": [
                "splunkd_%d=%s; Path=/; HttpOnly" % (cookie_port, sk),
                "splunkweb_csrf_token_%d=%s; Path=/" % (cookie_port, fk)]}, json.dumps(
                {"status": 0}).encode()
        m = re.match(r"^/en-US/static/app/%s/(.+)$" % re.escape(self.cfg["app"]), path)
        if m and method in ("GET", "HEAD"):
            return self.static(app_dir, m.group(1))
        sk, ws = self.web_session(headers)
        if ws is None:
            return 303, {"Location": "/en-US/account/login?return_to=" + urllib.parse.quote(path),
                         "Content-Type": "text/plain"}, b"login required"
        m = re.match(r"^/en-US/app/%s/([A-Za-z0-9_.-]+)/?$" % re.escape(self.cfg["app"]), path)
        if m and method == "GET":
            return self.view(app_dir, m.group(1), ws)
        m = re.match(r"^/en-US/splunkd/__raw(/.*)$", path)
        if m:
            if method not in ("GET", "HEAD") and headers.get("X-Splunk-Form-Key") != ws["form_key"]:
                return 401, {"Content-Type": "application/json"}, json.dumps(
                    {"messages": [{"type": "ERROR", "text": "Splunk cannot authenticate the request. "
                                   "CSRF validation failed."}]}).encode()
            inner = dict(headers.items())
            inner["Authorization"] = "Splunk " + sk
            qd = dict(query)
            return self.dispatch(method, m.group(1), query, body, inner, ws["user"], sk,
                                 qd.get("output_mode") == "json")
        return 404, {"Content-Type": "text/plain"}, b"Page not found"

    def static(self, app_dir, rel):
        if not app_dir:
            return 404, {"Content-Type": "text/plain"}, b"no app dir"
        root = os.path.realpath(os.path.join(app_dir, "appserver", "static"))
        p = os.path.realpath(os.path.join(root, urllib.parse.unquote(rel)))
        if not p.startswith(root + os.sep) or not os.path.isfile(p):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        types = {".js": "application/javascript", ".css": "text/css", ".html": "text/html",
                 ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml"}
        with open(p, "rb") as fh:
            return 200, {"Content-Type": types.get(os.path.splitext(p)[1], "application/octet-stream")}, fh.read()

    def view(self, app_dir, name, ws):
        """Render a Simple XML view that only loads JS (the setup-page pattern) as HTML."""
        xml = None
        for d in ("local", "default"):
            p = os.path.join(app_dir or "", d, "data", "ui", "views", name + ".xml")
            if app_dir and os.path.isfile(p):
                xml = open(p, encoding="utf-8").read()
                break
        if xml is None:
            return 404, {"Content-Type": "text/plain"}, b"view not found"
        import xml.etree.ElementTree as ET
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as e:
            return 500, {"Content-Type": "text/plain"}, ("bad view XML: %s" % e).encode()
        static = "/en-US/static/app/%s/" % self.cfg["app"]
        heads = []
        for css in filter(None, (root.get("stylesheet") or "").split(",")):
            heads.append('<link rel="stylesheet" href="%s%s">' % (static, escape(css.strip())))
        htmls = "".join(ET.tostring(h, encoding="unicode", method="html")[6:-7]
                        for h in root.iter("html"))
        scripts = "".join('<script src="%s%s"></script>' % (static, escape(s.strip()))
                          for s in (root.get("script") or "").split(",") if s.strip())
        cfg = {"LOCALE": "en-US", "SPLUNKD_PATH": "/en-US/splunkd/__raw", "APP": self.cfg["app"],
               "USERNAME": ws["user"], "FORM_KEY": ws["form_key"]}
        page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>%s"
                "<script>window.$C = %s;</script></head><body><div class=\"dashboard-body\">%s"
                "</div>%s</body></html>" % (escape(name), "".join(heads), json.dumps(cfg), htmls, scripts))
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    # ---- control -----------------------------------------------------------------
    def control(self, method, path, query, obj):
        r = emucommon.common_control(self, method, path, query, obj)
        if r:
            return r
        with self.lock:
            if path == "/_emu/reset" and method == "POST":
                self.reset()
                return 200, {"ok": True}
            if path == "/_emu/kvstore" and method == "GET":
                return 200, self.kv.snapshot((query.get("collection") or [None])[0])
            if path == "/_emu/kvstore" and method == "POST":
                obj = obj or {}
                if "status" in obj:
                    self.kv.status = obj["status"]
                self.kv.limits.update(obj.get("limits", {}))
                return 200, {"ok": True, "status": self.kv.status, "limits": self.kv.limits}
            if path == "/_emu/kvstore" and method == "DELETE":
                self.kv.reset()
                return 200, {"ok": True}
            if path == "/_emu/kvstore/declare" and method == "POST":
                self.kv.declare(obj["name"], obj.get("settings", {}), obj.get("app"))
                return 200, {"ok": True}
            if path == "/_emu/kvstore/seed" and method == "POST":
                app = obj.get("app", self.cfg["app"])
                store = self.kv.data[(app, obj["collection"])]
                for d in obj.get("docs", []):
                    d = self.kv.typed(app, obj["collection"], d)
                    d.setdefault("_key", secrets.token_hex(12))
                    d["_user"] = obj.get("owner", "nobody")
                    store[(d["_user"], d["_key"])] = d
                return 200, {"ok": True}
            if path == "/_emu/state" and method == "GET":
                return 200, {"passwords": self.passwords, "saved_searches": [
                    {"owner": o, "app": a, "name": n, "content": c} for (o, a, n), c in self.saved.items()],
                    "conf": self.conf, "alert_html": self.alert_html, "app": self.app_state,
                    "notable_updates": self.notable_updates, "notables": self.notables,
                    "es_installed": self.es_installed, "messages": self.messages,
                    "reviewstatuses": self.reviewstatuses,
                    "writes": self.writes,
                    "handlers": {k: {"starts": h.starts, "stderr": h.stderr_lines[-50:]}
                                 for k, h in self.handlers.items()}}
            if path == "/_emu/seed" and method == "POST":
                obj = obj or {}
                for p in obj.get("passwords", []):
                    self._put_password(p.get("realm", ""), p["username"], p["password"], p.get("app", APP))
                for s in obj.get("saved_searches", []):
                    self.saved[(s.get("owner", "nobody"), s.get("app", APP), s["name"])] = dict(s.get("content", {}))
                for f, stanzas in obj.get("conf", {}).items():
                    for s, kv in stanzas.items():
                        self.conf.setdefault(f, {}).setdefault(s, {}).update(kv)
                for k, u in obj.get("session_keys", {}).items():
                    self.cfg["session_keys"][k] = u
                for n, u in obj.get("users", {}).items():
                    self.cfg["users"][n] = u
                return 200, {"ok": True}
            if path == "/_emu/es" and method == "POST":
                # Enterprise Security (un)installed: notable_update 404s without it
                self.es_installed = bool((obj or {}).get("installed", True))
                return 200, {"ok": True, "installed": self.es_installed}
            if path == "/_emu/reviewstatuses" and method == "POST":
                # a site's own statuses: add, rename or disable ({"id", …})
                for st in obj if isinstance(obj, list) else [obj or {}]:
                    self._put_status(st["id"], st)
                return 200, {"ok": True, "reviewstatuses": self.reviewstatuses}
            if path == "/_emu/restmap" and method == "POST":
                h = normalize_handler(obj, self.cfg.get("app_dir"))
                self.cfg["restmap"] = [x for x in self.cfg["restmap"] if x["match"] != h["match"]] + [h]
                old = self.handlers.pop(h["match"], None)
                if old:
                    old.stop()
                return 200, {"ok": True, "handler": h}
            if path == "/_emu/web_session" and method == "POST":
                sk, fk = self.web_login((obj or {}).get("user", "admin"))
                return 200, {"cookie": "splunkd_%d=%s; splunkweb_csrf_token_%d=%s" % (self.port, sk, self.port, fk),
                             "session_key": sk, "form_key": fk}
        return 404, {"error": "unknown control path %s %s" % (method, path)}


def normalize_handler(h, app_dir):
    h = dict(h)
    if "match" not in h or "driver" not in h:
        raise ValueError("a restmap handler needs 'match' and 'driver'")
    h["match"] = "/" + h["match"].lstrip("/")
    d = h["driver"]
    if not os.path.isabs(d) and app_dir and os.path.exists(os.path.join(app_dir, "bin", d)):
        h["driver"] = os.path.join(app_dir, "bin", d)
    h.setdefault("capability", "admin_all_objects")
    return h


def parse_restmap(path, app_dir):
    """[script:*] stanzas with scripttype = persist, as splunkd reads restmap.conf."""
    cp = configparser.RawConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(path)
    out = []
    for sec in cp.sections():
        if not sec.startswith("script:"):
            continue
        s = dict(cp.items(sec))
        if s.get("scripttype") != "persist" or "driver" not in s:
            continue
        # restmap.conf.spec: environment variables are substituted in driver,
        # driver.arg.<n> and script (e.g. $SPLUNK_HOME/etc/apps/<app>/bin/x)
        s = {k: os.path.expandvars(v) if k == "driver" or k == "script" or k.startswith("driver.arg.") else v
             for k, v in s.items()}
        h = {"name": sec[7:], "match": s["match"], "driver": s["driver"], "script": s.get("script", s["driver"]),
             "driver_args": [s[k] for k in sorted((k for k in s if re.match(r"^driver\.arg\.\d+$", k)),
                                                  key=lambda k: int(k.rsplit(".", 1)[1]))],
             "driver_env": {k[len("driver.env."):]: v for k, v in s.items() if k.startswith("driver.env.")},
             "passSystemAuth": s.get("passSystemAuth", "false").lower() in ("1", "true"),
             "passPayload": s.get("passPayload", "false").lower() in ("1", "true", "base64")}
        for k, v in s.items():
            if k == "capability" or k.startswith("capability."):
                h[k] = v
        out.append(normalize_handler(h, app_dir))
    return out


class SplunkdHandler(emucommon.BaseHandler):
    server_version = "Splunkd"

    def route(self, method, path, query, body):
        return self.server.emu.route(method, path, query, body, self.headers)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    emucommon.add_common_args(p)
    p.add_argument("--app-dir", help="app directory (appserver/static, default/data/ui/views, bin)")
    p.add_argument("--restmap", help="restmap.conf to read [script:*] persist handlers from")
    p.add_argument("--setup-driver", help="shortcut: driver for /qradar_soar/setup")
    p.add_argument("--collections", action="append", default=[],
                   help="collections.conf declaring KV store collections (repeatable; default: "
                        "<app-dir>/default/collections.conf)")
    p.add_argument("--savedsearches", action="append", default=[],
                   help="savedsearches.conf whose stanzas the app ships (owner nobody; repeatable; "
                        "default: <app-dir>/default/savedsearches.conf)")
    p.add_argument("--meta", action="append", default=[],
                   help="default.meta with the collections' ACLs (default: <app-dir>/metadata/default.meta)")
    args = p.parse_args()
    if not args.plain and not (args.cert and args.key):
        p.error("--cert and --key are required (or --plain)")
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    if args.config:
        with open(args.config) as fh:
            user = json.load(fh)
        for k, v in user.items():
            if isinstance(v, dict) and isinstance(cfg.get(k), dict):
                cfg[k].update(v)
            else:
                cfg[k] = v
    if args.app_dir:
        cfg["app_dir"] = os.path.abspath(args.app_dir)
    cfg["collections_files"] = list(cfg.get("collections_files", [])) + args.collections
    cfg["meta_files"] = list(cfg.get("meta_files", [])) + args.meta
    for sub, key, given in (("default/collections.conf", "collections_files", args.collections),
                            ("metadata/default.meta", "meta_files", args.meta)):
        f = os.path.join(cfg["app_dir"] or "", sub)
        if cfg["app_dir"] and not given and os.path.isfile(f):
            cfg[key].append(f)
    ss = list(args.savedsearches)
    f = os.path.join(cfg["app_dir"] or "", "default", "savedsearches.conf")
    if cfg["app_dir"] and not ss and os.path.isfile(f):
        ss.append(f)
    cfg["saved_searches"] = list(cfg.get("saved_searches", []))
    for path in ss:
        for name, content in kvstore.parse_conf(path).items():
            if name != "default":
                cfg["saved_searches"].append({"owner": "nobody", "app": cfg["app"], "name": name,
                                              "content": content})
    cfg["restmap"] = [normalize_handler(h, cfg.get("app_dir")) for h in cfg.get("restmap", [])]
    if args.restmap:
        cfg["restmap"] += parse_restmap(args.restmap, cfg.get("app_dir"))
    if args.setup_driver:
        cfg["restmap"].append(normalize_handler({"name": "qradar_soar_setup", "match": "/qradar_soar/setup",
                                                 "driver": os.path.abspath(args.setup_driver),
                                                 "passSystemAuth": True}, cfg.get("app_dir")))
    emu = SplunkdEmu(cfg)
    SplunkdHandler.recorder = emu.recorder
    SplunkdHandler.faults = emu.faults
    emucommon.serve(emu, SplunkdHandler, args)


if __name__ == "__main__":
    main()
