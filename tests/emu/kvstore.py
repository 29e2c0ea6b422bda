"""The App Key Value Store half of the splunkd emulator (kvstore-and-sync.md §1).

Collections exist only when declared (a collections.conf: the app's
default/collections.conf, --collections, or the control API), in the app that
declares them. Data endpoints under /servicesNS/<owner>/<app>/storage/collections/:

  data/<c>                GET  query, sort, limit, skip, fields, shared -> JSON array
                          POST one JSON object (insert) -> 201 {"_key"}; 409 if the
                               _key exists for that user
                          DELETE [query] -> deletes the matching (or all) records
  data/<c>/<key>          GET -> the record (404); POST -> replace (404 if absent);
                          DELETE (404 if absent)
  data/<c>/batch_save     POST a JSON array (<= max_documents_per_batch_save) of
                          objects, each inserted or replacing its _key -> [keys]
  config[/<c>]            GET: the declarations as an EAI feed

Strict like the real server: JSON bodies with Content-Type application/json
only (400 otherwise), field names with '.' or a leading '$' refused (MongoDB),
declared field types converted (enforceTypes = true: a value that does not
convert fails the write with 400; false: that field is dropped), unknown query
operators 400, max_rows_per_query silently cuts a result. Access follows the
collection's ACL from the app's metadata (read/write role lists;
admin_all_objects passes). While the KV store is not "ready" (control API)
every data and config request answers 503.

Inferred where the public docs are silent (kvstore-and-sync.md §1.4): the 409,
404 and 503 codes, the batch_save reply (the keys, in order), and that a
replace of a missing key is a 404 rather than an upsert."""
import copy
import json
import re
import secrets
import urllib.parse

NOT_READY = {
    "starting": "KV Store is initializing. Please try again later.",
    "failed": "KV Store process terminated abnormally (exit code 14, status exited with code 14). "
              "See mongod.log and splunkd.log for details.",
    "disabled": "KV Store is disabled. Please enable it to start using this feature.",
    "down": "KV Store is not available.",
}
COMPARE_OPS = ("$gt", "$gte", "$lt", "$lte", "$ne")
LIMITS = {"max_documents_per_batch_save": 1000, "max_rows_per_query": 50000}


class BadRequest(Exception):
    pass


def parse_conf(path):
    """A .conf/.meta file -> {stanza: {key: value}} ([stanza] lines, key = value
    lines, # comments; the stanza before the first header is "default")."""
    out, stanza = {}, "default"
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            m = re.match(r"^\[([^\]]*)\]$", s)
            if m:
                stanza = m.group(1)
                out.setdefault(stanza, {})
                continue
            k, sep, v = s.partition("=")
            if sep:
                out.setdefault(stanza, {})[k.strip()] = v.strip()
    return out


def parse_collections(path):
    """[name] stanzas of a collections.conf -> {name: {setting: value}}."""
    return {k: v for k, v in parse_conf(path).items() if k != "default"}


def parse_meta(path):
    """default.meta -> {stanza: {"read": [roles], "write": [roles]}}."""
    out = {}
    for sec, kv in parse_conf(path).items():
        acc = kv.get("access")
        if acc is None:
            continue
        perms = {}
        for what, roles in re.findall(r"(read|write)\s*:\s*\[([^\]]*)\]", acc):
            perms[what] = [r.strip() for r in roles.split(",") if r.strip()]
        out[sec] = perms
    return out


def _field(doc, path):
    cur = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None, False
        cur = cur[part]
    return cur, True


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _cmp(a, b):
    """-1/0/1 when a and b are of one comparable kind, else None (MongoDB
    compares within a type bracket only)."""
    if _is_num(a) and _is_num(b):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    if isinstance(a, bool) and isinstance(b, bool):
        return (a > b) - (a < b)
    return None


def _eq(a, b):
    if _is_num(a) and _is_num(b):
        return a == b
    if isinstance(a, list) and not isinstance(b, list):
        return any(_eq(x, b) for x in a)
    return type(a) is type(b) and a == b


def _match_ops(val, present, ops):
    for op, arg in ops.items():
        if op == "$not":
            if not isinstance(arg, dict) or not arg or not all(k.startswith("$") for k in arg):
                raise BadRequest("$not needs an operator expression")
            if _match_ops(val, present, arg):
                return False
            continue
        if op == "$ne":
            if present and _eq(val, arg):
                return False
            continue
        if op not in COMPARE_OPS:
            raise BadRequest("Unsupported query operator %s" % op)
        if not present:
            return False
        c = _cmp(val, arg)
        if c is None:
            return False
        if not {"$gt": c > 0, "$gte": c >= 0, "$lt": c < 0, "$lte": c <= 0}[op]:
            return False
    return True


def match(doc, q):
    if not isinstance(q, dict):
        raise BadRequest("query must be a JSON object")
    for k, v in q.items():
        if k in ("$and", "$or"):
            if not isinstance(v, list) or not v:
                raise BadRequest("%s needs a non-empty array" % k)
            res = [match(doc, s) for s in v]
            if (k == "$and" and not all(res)) or (k == "$or" and not any(res)):
                return False
            continue
        if k.startswith("$"):
            raise BadRequest("Unsupported query operator %s" % k)
        val, present = _field(doc, k)
        if isinstance(v, dict) and v and all(x.startswith("$") for x in v):
            if not _match_ops(val, present, v):
                return False
        elif v is None:
            if present and val is not None:
                return False
        elif not present or not _eq(val, v):
            return False
    return True


def _rank(v):
    if v is None:
        return (0, 0)
    if _is_num(v):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    if isinstance(v, dict):
        return (3, json.dumps(v, sort_keys=True))
    if isinstance(v, list):
        return (4, json.dumps(v, sort_keys=True))
    if isinstance(v, bool):
        return (5, v)
    return (6, str(v))


def parse_sort(s):
    out = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, d = part.partition(":")
        if d not in ("", "1", "-1"):
            raise BadRequest("Invalid sort direction in '%s' (1 or -1)" % part)
        out.append((name, -1 if d == "-1" else 1))
    return out


def parse_fields(s):
    inc, exc = [], []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, f = part.partition(":")
        if f not in ("", "0", "1"):
            raise BadRequest("Invalid fields flag in '%s' (0 or 1)" % part)
        (exc if f == "0" else inc).append(name)
    if inc and [e for e in exc if e != "_key"]:
        raise BadRequest("fields cannot mix inclusion and exclusion (except _key:0)")
    return inc, exc


def project(doc, inc, exc):
    if inc:
        out = {k: doc[k] for k in inc if k in doc}
        if "_key" not in exc:
            out["_key"] = doc["_key"]
        return out
    return {k: v for k, v in doc.items() if k not in exc}


def _convert(typ, v):
    """The value a declared type makes of v, or raises ValueError."""
    if typ == "string":
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        if _is_num(v):
            return json.dumps(v)
        raise ValueError
    if typ in ("number", "time"):
        if isinstance(v, bool):
            raise ValueError
        if _is_num(v):
            return float(v)
        if isinstance(v, str):
            f = float(v)
            if f != f or f in (float("inf"), float("-inf")):
                raise ValueError
            return f
        raise ValueError
    if typ == "bool":
        if isinstance(v, bool):
            return v
        if _is_num(v):
            return v != 0
        if isinstance(v, str) and v.lower() in ("true", "false", "1", "0"):
            return v.lower() in ("true", "1")
        raise ValueError
    return v


def _check_names(obj, where=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str) or not k or "." in k or k.startswith("$"):
                raise BadRequest("Invalid field name '%s%s': field names must not be empty, contain "
                                 "'.' or start with '$'" % (where, k))
            _check_names(v, where + k + ".")
    elif isinstance(obj, list):
        for x in obj:
            _check_names(x, where)


class KVStore:
    """State and handlers; the caller holds the emulator's lock."""

    def __init__(self, app):
        self.app = app
        self.decl = {}  # (app, name) -> settings
        self.meta = {}  # app -> parsed default.meta
        self.status = "ready"
        self.limits = dict(LIMITS)
        self.data = {}  # (app, name) -> {(user, key): doc}

    # ---- declarations -------------------------------------------------------------
    def declare_file(self, path, app=None):
        for name, s in parse_collections(path).items():
            self.declare(name, s, app)

    def declare(self, name, settings, app=None):
        app = app or self.app
        self.decl[(app, name)] = dict(settings)
        self.data.setdefault((app, name), {})

    def load_meta(self, path, app=None):
        self.meta[app or self.app] = parse_meta(path)

    def types(self, app, name):
        s = self.decl[(app, name)]
        t = {k[len("field."):]: v.strip() for k, v in s.items() if k.startswith("field.")}
        return t, s.get("enforceTypes", "false").strip().lower() in ("1", "true")

    def reset(self):
        for k in self.data:
            self.data[k] = {}
        self.status = "ready"

    # ---- access ---------------------------------------------------------------------
    def allowed(self, app, name, user_roles, caps, what):
        if "admin_all_objects" in caps:
            return True
        meta = self.meta.get(app)
        if meta is None:
            perms = {"read": ["*"], "write": ["admin", "power"]}
        else:
            perms = {}
            for stanza in ("", "collections", "collections/" + name):
                perms.update(meta.get(stanza, {}))
        roles = perms.get(what, [])
        return "*" in roles or bool(set(roles) & set(user_roles))

    # ---- documents ------------------------------------------------------------------
    def typed(self, app, name, doc):
        if not isinstance(doc, dict):
            raise BadRequest("The document must be a JSON object")
        _check_names(doc)
        types, enforce = self.types(app, name)
        out = {}
        for k, v in doc.items():
            if k == "_user":
                continue
            if k == "_key":
                if not isinstance(v, str) or not v:
                    raise BadRequest("_key must be a non-empty string")
                out[k] = v
                continue
            t = types.get(k)
            if t is None or v is None:
                out[k] = v
                continue
            try:
                out[k] = _convert(t, v)
            except (ValueError, TypeError):
                if enforce:
                    raise BadRequest("Failed to convert field '%s' to type %s (enforceTypes = true)"
                                     % (k, t))
        return out

    def handle(self, method, coll, key, query, body, ctype, owner, app, user, roles, caps):
        """-> (status, obj or None)."""
        if self.status != "ready":
            return 503, {"messages": [{"type": "ERROR", "text": NOT_READY.get(self.status, NOT_READY["down"])}]}
        if (app, coll) not in self.decl:
            return 404, {"messages": [{"type": "ERROR",
                                       "text": "Could not find collection %s in app %s" % (coll, app)}]}
        if owner in ("-", "") or app in ("-", ""):
            return 400, _msg("Wildcard namespaces are not allowed for KV store data")
        store = self.data[(app, coll)]
        qd = dict(query)
        write = method in ("POST", "DELETE")
        if not self.allowed(app, coll, roles, caps, "write" if write else "read"):
            return 403, _msg("User '%s' with roles { %s } cannot %s collection %s" % (
                user, ", ".join(roles), "write to" if write else "read", coll))
        try:
            if method == "POST":
                if ctype != "application/json":
                    return 400, _msg("Content-Type must be application/json (got %s)" % (ctype or "none"))
                try:
                    obj = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    return 400, _msg("Request body is not valid JSON: %s" % e)
                if key == "batch_save":
                    return self.batch_save(app, coll, store, owner, obj)
                if key is None:
                    return self.insert(app, coll, store, owner, obj)
                return self.replace(app, coll, store, owner, key, obj)
            if method == "GET":
                if key is not None:
                    doc = store.get((owner, key))
                    if doc is None:
                        return 404, _msg("Could not find object.")
                    return 200, copy.deepcopy(doc)
                return 200, self.find(store, owner, qd)
            if method == "DELETE":
                if key is not None:
                    if store.pop((owner, key), None) is None:
                        return 404, _msg("Could not find object.")
                    return 200, None
                q = self._query(qd)
                for k in [k for k, d in store.items() if k[0] == owner and match(d, q)]:
                    del store[k]
                return 200, None
        except BadRequest as e:
            return 400, _msg(str(e))
        return 405, _msg("Method not allowed")

    @staticmethod
    def _query(qd):
        if not qd.get("query"):
            return {}
        try:
            q = json.loads(qd["query"])
        except ValueError as e:
            raise BadRequest("query is not valid JSON: %s" % e)
        if not isinstance(q, dict):
            raise BadRequest("query must be a JSON object")
        return q

    def insert(self, app, coll, store, owner, obj):
        doc = self.typed(app, coll, obj)
        key = doc.get("_key") or secrets.token_hex(12)
        if (owner, key) in store:
            return 409, _msg("A document with the same key and user already exists.")
        doc["_key"], doc["_user"] = key, owner
        store[(owner, key)] = doc
        return 201, {"_key": key}

    def replace(self, app, coll, store, owner, key, obj):
        if (owner, key) not in store:
            return 404, _msg("Could not find object.")
        doc = self.typed(app, coll, obj)
        doc["_key"], doc["_user"] = key, owner
        store[(owner, key)] = doc
        return 200, {"_key": key}

    def batch_save(self, app, coll, store, owner, arr):
        if not isinstance(arr, list):
            return 400, _msg("batch_save expects a JSON array of documents")
        if len(arr) > self.limits["max_documents_per_batch_save"]:
            return 400, _msg("Request exceeds API limits - see limits.conf for details. "
                             "(max_documents_per_batch_save=%d)" % self.limits["max_documents_per_batch_save"])
        docs = [self.typed(app, coll, d) for d in arr]  # all valid or none saved
        keys = []
        for d in docs:
            k = d.get("_key") or secrets.token_hex(12)
            d["_key"], d["_user"] = k, owner
            store[(owner, k)] = d
            keys.append(k)
        return 200, keys

    def find(self, store, owner, qd):
        q = self._query(qd)
        shared = qd.get("shared", "false").lower() in ("1", "true")
        docs = [d for (u, _), d in store.items()
                if (u == owner or (shared and u == "nobody")) and match(d, q)]
        for name, d in reversed(parse_sort(qd.get("sort", ""))):
            docs.sort(key=lambda x, n=name: _rank(_field(x, n)[0]), reverse=d < 0)

        def num(name):
            v = qd.get(name, "0") or "0"
            if not re.match(r"^\d+$", v):
                raise BadRequest("%s must be a non-negative integer" % name)
            return int(v)
        skip, limit = num("skip"), num("limit")
        docs = docs[skip:]
        if limit:
            docs = docs[:limit]
        docs = docs[:self.limits["max_rows_per_query"]]
        inc, exc = parse_fields(qd.get("fields", ""))
        return [project(copy.deepcopy(d), inc, exc) for d in docs]

    def config_feed(self, app):
        return [(name, dict(s)) for (a, name), s in sorted(self.decl.items()) if app in ("-", a)]

    def snapshot(self, coll=None):
        out = {"status": self.status, "limits": self.limits, "collections": {}}
        for (app, name), store in self.data.items():
            if coll and name != coll:
                continue
            out["collections"][name] = {"app": app, "declaration": self.decl[(app, name)],
                                        "docs": [copy.deepcopy(d) for d in store.values()]}
        return out


def _msg(text):
    return {"messages": [{"type": "ERROR", "text": text}]}


def unquote(s):
    return urllib.parse.unquote(s) if s is not None else None
