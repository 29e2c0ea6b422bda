"""The log format of Splunk_SA_CIM's logger, as patterns the tests apply to
our log files (Python standard library only).

Splunk_SA_CIM (public: github.com/splunk/addonfactory-splunk_sa_cim, 5.0.1):
- lib/splunk_sa_cim/log.py: DEFAULT_FORMAT below, with GMTimeFormatter
  writing asctime as time.strftime('%Y-%m-%d %H:%M:%S', gmtime) + ',%03d+0000'
  (milliseconds, UTC);
- default/props.conf [source::..._mod(alert|workflow).log] routes a modular
  action's log to index cim_modactions with the sourcetype that
  default/transforms.conf [force_sourcetype_cim_modactions] derives from the
  file name (SOURCE_REGEX below, FORMAT sourcetype::modular_alerts:$1);
  the fields of a line are left to Splunk's automatic key="value"
  extraction (KV_REGEX).
"""
import logging
import re
import time

DEFAULT_FORMAT = ("%(asctime)s %(levelname)s pid=%(process)d tid=%(threadName)s "
                  "file=%(filename)s:%(funcName)s:%(lineno)d | %(message)s")
SOURCE_REGEX = r"^.*[\\/](.+)_mod(?:alert|workflow).log$"
KV_REGEX = r'([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"'
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# what each %(name) of a logging format can expand to
_FIELD = {
    "asctime": r"(?P<asctime>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\+0000)",
    "levelname": r"(?P<levelname>%s)" % "|".join(LEVELS),
    "process": r"(?P<process>\d+)",
    "threadName": r"(?P<threadName>\S+)",
    "filename": r"(?P<filename>[^\s:/]+)",
    "funcName": r"(?P<funcName>[^\s:]+)",
    "lineno": r"(?P<lineno>\d+)",
    "message": r"(?P<message>.*)",
}


def format_regex(fmt=DEFAULT_FORMAT):
    """The regex a line written with logging format fmt matches."""
    out, pos = [], 0
    for m in re.finditer(r"%\((\w+)\)[sd]", fmt):
        out.append(re.escape(fmt[pos:m.start()]))
        out.append(_FIELD[m.group(1)])
        pos = m.end()
    out.append(re.escape(fmt[pos:]))
    return re.compile("^" + "".join(out) + "$")


class GMTimeFormatter(logging.Formatter):
    """Splunk_SA_CIM's formatter's time: UTC, milliseconds, '+0000'."""
    converter = time.gmtime

    def formatTime(self, record, datefmt=None):
        t = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(record.created))
        return "%s,%03d+0000" % (t, record.msecs)


def python_line(level, msg, fmt=DEFAULT_FORMAT):
    """A line as Python's logging writes it with Splunk_SA_CIM's format: the
    reference the pattern is checked against."""
    rec = logging.LogRecord("qradar_soar_modalert", getattr(logging, level), "/x/qradar_soar.py",
                            42, msg, None, None, func="dowork")
    return GMTimeFormatter(fmt).format(rec)


def parse(line):
    """The fields of one line, or None when it does not match."""
    m = format_regex().match(line)
    return m.groupdict() if m else None


def sourcetype(path):
    """The sourcetype Splunk_SA_CIM gives the file at path, or None."""
    m = re.match(SOURCE_REGEX, path)
    return "modular_alerts:" + m.group(1) if m else None


def kv(message):
    """Splunk's automatic key="value" extraction of a message."""
    return dict(re.findall(KV_REGEX, message))
