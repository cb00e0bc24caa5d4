"""libwebhooks for Python: the C library's API through ctypes (standard library only).

Install with `pip install ./bindings/python` (from a clone; add --no-build-isolation to build with
the setuptools already installed). The shared library libwebhooks.so is found through the
WEBHOOKS_LIB environment variable (its path), else by the system's loader (an installed
library, LD_LIBRARY_PATH), else in a build tree beside a source checkout.

    import webhooks

    with webhooks.Hub(allow_cidrs=["127.0.0.0/8"]) as hub:
        hub.add({"url": "http://127.0.0.1:8080/hooks", "events": ["order.*"]})
        hub.emit("order.created", {"id": 42})
        hub.run_until_idle(timeout_ms=10000)
        print(hub.deliveries())

The API is the C library's and the REST API's, the same in the Node package (snake_case here,
camelCase there): the same classes and methods, the same argument shapes, times and durations in
milliseconds, a webhook named webhook_id as the REST answers name it webhookId. Every failing
call raises a WebhooksError subclass carrying the library's code, its name (error_name, e.g.
"WH_EINVAL"), message and details (one per problem). Bodies are bytes (str is encoded as UTF-8).
Objects are closed by their context manager or close(); the garbage collector closes the rest.
A Hub borrows the Store it is given (close the hub first: nested `with` blocks do that), and an
Api borrows its Hub.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json as _json
import os
import sys
import time
import traceback

__all__ = [
    "Api", "ApiResponse", "Event", "Hub", "Page", "Store", "Subscription",
    "WebhooksError", "InvalidError", "NotFoundError", "ConflictError", "OutOfMemoryError",
    "UnauthorizedError", "ForbiddenError", "TooLargeError", "StorageError", "StateError",
    "UnsupportedError", "TimedOutError", "RenderError", "SignatureError",
    "SignatureMissingError", "SignatureMalformedError", "SignatureMismatchError",
    "SignatureTooOldError", "SignatureTooNewError", "CorruptError", "FullError",
    "ReadOnlyError", "VersionError", "RefusedError", "BusyError", "TransportError",
    "sign", "verify", "version", "library_path", "error_name", "strerror",
    "LOG_ERROR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG",
    "SCOPE_WEBHOOKS_READ", "SCOPE_WEBHOOKS_WRITE", "SCOPE_EVENTS_WRITE", "SCOPE_ALL",
]

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3
SCOPE_WEBHOOKS_READ, SCOPE_WEBHOOKS_WRITE, SCOPE_EVENTS_WRITE, SCOPE_ALL = 0x1, 0x2, 0x4, 0x7
_DELIVERY_STATUS = {"pending": 0, "in_flight": 1, "succeeded": 2, "failed": 3}

# ---------------------------------------------------------------------------------------------
# Loading the library


_SONAME = "libwebhooks.so.0"


def _load_library():
    """(path, CDLL): WEBHOOKS_LIB, else the system's loader, else a build tree beside a source
    checkout (bindings/python/webhooks -> build/lib)."""
    tried = []
    path = os.environ.get("WEBHOOKS_LIB")
    candidates = [path] if path else []
    if not path:
        candidates.append(_SONAME)
        found = ctypes.util.find_library("webhooks")
        if found:
            candidates.append(found)
        here = os.path.dirname(os.path.abspath(__file__))
        candidates.append(os.path.normpath(os.path.join(here, "..", "..", "..", "build", "lib",
                                                        "libwebhooks.so")))
    for candidate in candidates:
        try:
            return candidate, ctypes.CDLL(candidate)  # CDLL releases the GIL during every call
        except OSError as e:
            tried.append("%s (%s)" % (candidate, e))
    raise OSError("libwebhooks not found: tried %s. Install the library (cmake --install) or set "
                  "WEBHOOKS_LIB to the path of libwebhooks.so" % "; ".join(tried))


library_path, _lib = _load_library()

_c = ctypes
_p = _c.c_void_p
_s = _c.c_char_p
_sz = _c.c_size_t
_i = _c.c_int
_u = _c.c_uint
_i64 = _c.c_int64
_pp = _c.POINTER(_c.c_void_p)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


LOG_CB = _c.CFUNCTYPE(None, _i, _s, _p)
DISABLE_CB = _c.CFUNCTYPE(None, _s, _s, _p)
CLOCK_CB = _c.CFUNCTYPE(_i64, _p)
AUTH_CB = _c.CFUNCTYPE(_i, _s, _p, _sz, _c.POINTER(_u), _p)

# common.h
_strerror = _fn("wh_strerror", _s, _i)
_error_name = _fn("wh_error_name", _s, _i)
_err_code = _fn("wh_error_last_code", _i)
_err_message = _fn("wh_error_last_message", _s)
_err_count = _fn("wh_error_last_details_count", _sz)
_err_detail = _fn("wh_error_last_detail", _s, _sz)
_version = _fn("wh_version", _s)
_free = _fn("wh_free", None, _p)
# subscription.h
_sub_new = _fn("wh_subscription_new", _i, _pp)
_sub_free = _fn("wh_subscription_free", None, _p)
_sub_from_json = _fn("wh_subscription_from_json", _i, _pp, _s, _sz)
_sub_patch_json = _fn("wh_subscription_patch_json", _i, _p, _s, _sz)
_sub_to_json = _fn("wh_subscription_to_json", _i, _p, _u, _pp, _c.POINTER(_sz))
_sub_validate = _fn("wh_subscription_validate", _i, _p)
_sub_id = _fn("wh_subscription_id", _s, _p)
_sub_set_id = _fn("wh_subscription_set_id", _i, _p, _s)
_sub_url = _fn("wh_subscription_url", _s, _p)
_sub_set_url = _fn("wh_subscription_set_url", _i, _p, _s)
_sub_name = _fn("wh_subscription_name", _s, _p)
_sub_set_name = _fn("wh_subscription_set_name", _i, _p, _s)
_sub_owner = _fn("wh_subscription_owner", _s, _p)
_sub_set_owner = _fn("wh_subscription_set_owner", _i, _p, _s)
_sub_list_count = _fn("wh_subscription_list_count", _sz, _p, _i)
_sub_list_at = _fn("wh_subscription_list_at", _s, _p, _i, _sz)
_sub_list_add = _fn("wh_subscription_list_add", _i, _p, _i, _s)
_sub_list_clear = _fn("wh_subscription_list_clear", _i, _p, _i)
_sub_secret_count = _fn("wh_subscription_secret_count", _sz, _p)
_sub_secret_at = _fn("wh_subscription_secret_at", _s, _p, _sz)
_sub_set_header = _fn("wh_subscription_set_header", _i, _p, _s, _s)
_sub_status = _fn("wh_subscription_status", _i, _p)
_status_name = _fn("wh_status_name", _s, _i)
_scheme_parse = _fn("wh_scheme_parse", _i, _s, _c.POINTER(_i))
# event.h
_ev_new = _fn("wh_event_new", _i, _pp, _s)
_ev_free = _fn("wh_event_free", None, _p)
_ev_from_json = _fn("wh_event_from_json", _i, _pp, _s, _sz)
_ev_to_json = _fn("wh_event_to_json", _i, _p, _pp, _c.POINTER(_sz))
_ev_id = _fn("wh_event_id", _s, _p)
_ev_set_id = _fn("wh_event_set_id", _i, _p, _s)
_ev_type = _fn("wh_event_type", _s, _p)
_ev_set_entity = _fn("wh_event_set_entity", _i, _p, _s)
_ev_set_action = _fn("wh_event_set_action", _i, _p, _s)
_ev_set_identifier = _fn("wh_event_set_identifier", _i, _p, _s)
_ev_set_source = _fn("wh_event_set_source", _i, _p, _s)
_ev_add_id = _fn("wh_event_add_id", _i, _p, _s)
_ev_add_product = _fn("wh_event_add_product", _i, _p, _s)
_ev_set_attribute = _fn("wh_event_set_attribute", _i, _p, _s, _s)
_ev_set_data = _fn("wh_event_set_data", _i, _p, _s, _sz)
_ev_data = _fn("wh_event_data", _s, _p)
_ev_set_relation = _fn("wh_event_set_relation", _i, _p, _s, _s, _sz)
_ev_set_occurred_at = _fn("wh_event_set_occurred_at", _i, _p, _i64)
_ev_occurred_at = _fn("wh_event_occurred_at", _i64, _p)
# sign.h
_sign = _fn("wh_sign", _i, _pp, _i, _c.POINTER(_s), _sz, _s, _i64, _s, _sz)
_headers_count = _fn("wh_headers_count", _sz, _p)
_headers_name = _fn("wh_headers_name", _s, _p, _sz)
_headers_value = _fn("wh_headers_value", _s, _p, _sz)
_headers_free = _fn("wh_headers_free", None, _p)
_verify = _fn("wh_verify", _i, _i, _c.POINTER(_s), _sz, _c.POINTER(_s), _c.POINTER(_s), _sz,
              _s, _sz, _i64, _i64)
# store.h
_store_memory_new = _fn("wh_store_memory_new_opts", _i, _pp, _p)
_memory_opts_new = _fn("wh_memory_options_new", _i, _pp)
_memory_opts_free = _fn("wh_memory_options_free", None, _p)
_MEMORY_SETTERS = {
    "max_finished": (_fn("wh_memory_options_set_max_finished", _i, _p, _sz), int),
    "max_event_ids": (_fn("wh_memory_options_set_max_event_ids", _i, _p, _sz), int),
}
_store_sqlite_new = _fn("wh_store_sqlite_new", _i, _pp, _s, _p)
_store_postgres_new = _fn("wh_store_postgres_new", _i, _pp, _s, _p)
_pg_opts_new = _fn("wh_postgres_options_new", _i, _pp)
_pg_opts_free = _fn("wh_postgres_options_free", None, _p)
_POSTGRES_SETTERS = {
    "max_connections": (_fn("wh_postgres_options_set_max_connections", _i, _p, _sz), int),
    "migrate": (_fn("wh_postgres_options_set_migrate", _i, _p, _i), lambda v: 1 if v else 0),
}
_sqlite_opts_new = _fn("wh_sqlite_options_new", _i, _pp)
_sqlite_opts_free = _fn("wh_sqlite_options_free", None, _p)
_SQLITE_SETTERS = {  # option name -> (setter, how the Python value becomes the C argument)
    "busy_timeout_ms": (_fn("wh_sqlite_options_set_busy_timeout_ms", _i, _p, _i), int),
    "synchronous": (_fn("wh_sqlite_options_set_synchronous", _i, _p, _i),
                    lambda v: {"full": 0, "normal": 1}.get(v, -1)),
    "max_page_count": (_fn("wh_sqlite_options_set_max_page_count", _i, _p, _c.c_uint32), int),
    "read_only": (_fn("wh_sqlite_options_set_read_only", _i, _p, _i), lambda v: 1 if v else 0),
}
_store_free = _fn("wh_store_free", None, _p)
_store_sub_list = _fn("wh_store_subscription_list_json", _i, _p, _s, _u, _sz, _sz, _pp)
_store_dlv_list = _fn("wh_store_delivery_list_json", _i, _p, _s, _i, _sz, _sz, _pp)
_store_dlv_get = _fn("wh_store_delivery_get_json", _i, _p, _s, _pp)
_store_att_list = _fn("wh_store_attempt_list_json", _i, _p, _s, _s, _sz, _sz, _pp)
_store_purge = _fn("wh_store_purge", _i, _p, _i64, _c.POINTER(_sz))
# hub.h
_hub_new = _fn("wh_hub_new", _i, _pp, _p)
_hub_free = _fn("wh_hub_free", None, _p)
_hub_opts_new = _fn("wh_hub_options_new", _i, _pp)
_hub_opts_free = _fn("wh_hub_options_free", None, _p)
_hub_opts_store = _fn("wh_hub_options_set_store", _i, _p, _p, _i)
_hub_opts_log = _fn("wh_hub_options_set_log", _i, _p, LOG_CB, _i, _p)
_hub_opts_on_disable = _fn("wh_hub_options_set_on_disable", _i, _p, DISABLE_CB, _p)
_hub_opts_clock = _fn("wh_hub_options_set_clock", _i, _p, CLOCK_CB, _p)


def _hub_setter(name, argtype, convert=int):
    return (_fn("wh_hub_options_" + name, _i, _p, argtype), convert)


def _retry_schedule(delays):
    delays = [int(d) for d in delays]
    return ((_c.c_uint32 * max(len(delays), 1))(*delays), len(delays))


_HUB_SETTERS = {  # option name -> (setter, how the Python value becomes the C arguments)
    "max_in_flight": _hub_setter("set_max_in_flight", _sz),
    "max_in_flight_per_subscription": _hub_setter("set_max_in_flight_per_subscription", _sz),
    "slow_after_ms": _hub_setter("set_slow_after_ms", _c.c_uint32),
    "retention_ms": _hub_setter("set_retention_ms", _i64),
    "event_id_window_ms": _hub_setter("set_event_id_window_ms", _i64),
    "connect_timeout_ms": _hub_setter("set_connect_timeout_ms", _c.c_uint32),
    "total_timeout_ms": _hub_setter("set_total_timeout_ms", _c.c_uint32),
    "max_response_bytes": _hub_setter("set_max_response_bytes", _sz),
    "max_body_bytes": _hub_setter("set_max_body_bytes", _sz),
    "lease_ms": _hub_setter("set_lease_ms", _c.c_uint32),
    "shared_queue": _hub_setter("set_shared_queue", _i, lambda v: 1 if v else 0),
    "user_agent": _hub_setter("set_user_agent", _s, lambda v: _enc(v)),
    "jitter_percent": _hub_setter("set_jitter_percent", _i),
    "retry_after_cap_s": _hub_setter("set_retry_after_cap_s", _c.c_uint32),
    "disable_after_failures": _hub_setter("set_disable_after_failures", _c.c_uint32),
    "disable_after_ms": _hub_setter("set_disable_after_ms", _i64),
    "default_retry_off": _hub_setter("set_default_retry_off", _i, lambda v: 1 if v else 0),
    "require_https": _hub_setter("set_require_https", _i, lambda v: 1 if v else 0),
    "ca_file": _hub_setter("set_ca_file", _s, lambda v: _enc(v)),
    "max_idle_connections": _hub_setter("set_max_idle_connections", _sz),
}
_hub_opts_allow_cidr = _fn("wh_hub_options_allow_cidr", _i, _p, _s)
_hub_opts_retry = _fn("wh_hub_options_set_default_retry_schedule", _i, _p,
                      _c.POINTER(_c.c_uint32), _sz)
_hub_emit = _fn("wh_hub_emit", _i, _p, _p, _c.POINTER(_sz))
_hub_emit_batch = _fn("wh_hub_emit_batch", _i, _p, _c.POINTER(_p), _sz, _c.POINTER(_sz))
_hub_emit_to = _fn("wh_hub_emit_to", _i, _p, _p, _s)
_hub_run = _fn("wh_hub_run", _i, _p, _i)
_hub_timeout_ms = _fn("wh_hub_timeout_ms", _i, _p)
_hub_pollfds_flat = _fn("wh_hub_pollfds_flat", _i, _p, _c.POINTER(_i), _c.POINTER(_i), _sz,
                        _c.POINTER(_sz))
_hub_in_flight = _fn("wh_hub_in_flight", _sz, _p)
_hub_sub_add = _fn("wh_hub_subscription_add", _i, _p, _p)
_hub_sub_get = _fn("wh_hub_subscription_get", _i, _p, _s, _pp)
_hub_sub_replace = _fn("wh_hub_subscription_replace", _i, _p, _p)
_hub_sub_patch = _fn("wh_hub_subscription_patch", _i, _p, _s, _s, _sz, _pp)
_hub_sub_delete = _fn("wh_hub_subscription_delete", _i, _p, _s)
_hub_sub_rotate = _fn("wh_hub_subscription_rotate_secret", _i, _p, _s, _s, _i64, _pp)
_hub_replay = _fn("wh_hub_replay", _i, _p, _s)
_hub_replay_since = _fn("wh_hub_replay_since", _i, _p, _s, _i64, _c.POINTER(_sz))
_hub_recover = _fn("wh_hub_recover", _i, _p, _s, _i64, _c.POINTER(_sz))
_hub_store = _fn("wh_hub_store", _p, _p)
_hub_now = _fn("wh_hub_now", _i64, _p)
# api.h (the registration API)
_api_new = _fn("wh_api_new", _i, _pp, _p)
_api_free = _fn("wh_api_free", None, _p)
_api_add_key = _fn("wh_api_add_key", _i, _p, _s, _s, _u)
_api_remove_key = _fn("wh_api_remove_key", _i, _p, _s)
_api_scopes_parse = _fn("wh_api_scopes_parse", _i, _s, _c.POINTER(_u))
_api_set_auth = _fn("wh_api_set_auth", _i, _p, AUTH_CB, _p)
_api_set_reveal = _fn("wh_api_set_reveal_secrets", _i, _p, _i)
_api_set_server_ids = _fn("wh_api_set_server_ids", _i, _p, _i)
_api_add_type = _fn("wh_api_catalogue_add_type", _i, _p, _s, _s, _s)
_api_add_entity = _fn("wh_api_catalogue_add_entity", _i, _p, _s, _c.POINTER(_s), _sz)
_api_add_relation = _fn("wh_api_catalogue_add_relation", _i, _p, _s)
_api_load_catalogue = _fn("wh_api_catalogue_load_json", _i, _p, _s, _sz)
_api_handle_simple = _fn("wh_api_handle_simple", _i, _p, _s, _s, _s, _c.POINTER(_s),
                         _c.POINTER(_s), _sz, _s, _sz, _c.POINTER(_i), _pp, _pp,
                         _c.POINTER(_sz))

# ---------------------------------------------------------------------------------------------
# Errors


class WebhooksError(Exception):
    """A failed library call: code (a negative WH_E* number), message and details."""

    def __init__(self, code: int, message: str, details=()):
        self.code = code
        self.message = message
        self.library_message = message  # the name the Node package uses (Error.message is taken)
        self.details = list(details)
        text = message or strerror(code)
        if self.details:
            text += " [" + "; ".join(self.details) + "]"
        super().__init__(text)

    @property
    def error_name(self) -> str:
        """The code's name in the C headers, e.g. "WH_EINVAL" (wh_error_name)."""
        return error_name(self.code)

    @property
    def text(self) -> str:
        """The fixed text of the code, e.g. "invalid argument" (wh_strerror)."""
        return strerror(self.code)


class InvalidError(WebhooksError, ValueError): pass                   # noqa: E701  WH_EINVAL
class NotFoundError(WebhooksError, LookupError): pass                 # noqa: E701  WH_ENOTFOUND
class ConflictError(WebhooksError): pass                              # noqa: E701  WH_ECONFLICT
class OutOfMemoryError(WebhooksError, MemoryError): pass              # noqa: E701  WH_ENOMEM
class UnauthorizedError(WebhooksError): pass                          # noqa: E701  WH_EUNAUTHORIZED
class ForbiddenError(WebhooksError): pass                             # noqa: E701  WH_EFORBIDDEN
class TooLargeError(WebhooksError, ValueError): pass                  # noqa: E701  WH_ETOOLARGE
class StorageError(WebhooksError): pass                               # noqa: E701  WH_EIO
class StateError(WebhooksError): pass                                 # noqa: E701  WH_ESTATE
class UnsupportedError(WebhooksError): pass                           # noqa: E701  WH_EUNSUPPORTED
class TimedOutError(WebhooksError, TimeoutError): pass                # noqa: E701  WH_ETIMEOUT
class RenderError(WebhooksError): pass                                # noqa: E701  WH_ERENDER
class SignatureError(WebhooksError): pass                             # noqa: E701  any WH_ESIG_*
class SignatureMissingError(SignatureError): pass                     # noqa: E701  WH_ESIG_MISSING
class SignatureMalformedError(SignatureError): pass                   # noqa: E701
class SignatureMismatchError(SignatureError): pass                    # noqa: E701
class SignatureTooOldError(SignatureError): pass                      # noqa: E701
class SignatureTooNewError(SignatureError): pass                      # noqa: E701
class CorruptError(StorageError): pass                                # noqa: E701  WH_ECORRUPT
class FullError(StorageError): pass                                   # noqa: E701  WH_EFULL
class ReadOnlyError(StorageError): pass                               # noqa: E701  WH_EREADONLY
class VersionError(StorageError): pass                                # noqa: E701  WH_EVERSION
class RefusedError(WebhooksError): pass                               # noqa: E701  WH_EREFUSED
class BusyError(WebhooksError): pass                                  # noqa: E701  WH_EBUSY
class TransportError(WebhooksError): pass                             # noqa: E701  WH_ETRANSPORT


_ERRORS = {
    -1: InvalidError, -2: NotFoundError, -3: ConflictError, -4: OutOfMemoryError,
    -5: UnauthorizedError, -6: ForbiddenError, -7: TooLargeError, -8: StorageError,
    -9: StateError, -10: UnsupportedError, -11: TimedOutError, -12: RenderError,
    -13: SignatureMissingError, -14: SignatureMalformedError, -15: SignatureMismatchError,
    -16: SignatureTooOldError, -17: SignatureTooNewError, -18: CorruptError, -19: FullError,
    -20: ReadOnlyError, -21: VersionError, -22: RefusedError, -23: BusyError,
    -24: TransportError,
}


def error_name(code: int) -> str:
    """wh_error_name: the name of an error code, e.g. "WH_ENOTFOUND"."""
    return _error_name(code).decode()


def strerror(code: int) -> str:
    """wh_strerror: the fixed text of an error code, e.g. "not found"."""
    return _strerror(code).decode()


def _error(rc):
    """The exception for return code rc, with the thread's last error when it is rc's."""
    if _err_code() == rc:
        message = (_err_message() or b"").decode("utf-8", "replace")
        details = [(_err_detail(i) or b"").decode("utf-8", "replace")
                   for i in range(_err_count())]
    else:
        message, details = strerror(rc), []
    return _ERRORS.get(rc, WebhooksError)(rc, message, details)


def _check(rc):
    if rc != 0:
        raise _error(rc)
    return rc


def _unknown_options(what, names):
    return InvalidError(-1, "unknown %s option: %s" % (what, ", ".join(sorted(names))))


def _apply_options(obj, setters, options, what):
    """Call one setter per option on the options object obj; unknown names raise."""
    unknown = set(options) - set(setters)
    if unknown:
        raise _unknown_options(what, unknown)
    for name, value in options.items():
        setter, convert = setters[name]
        _check(setter(obj, convert(value)))


def _closed(what):
    return StateError(-9, what + " is closed")


# ---------------------------------------------------------------------------------------------
# Conversions


def _enc(s):
    """str -> UTF-8 bytes (None stays None); bytes pass through."""
    if s is None or isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def _dec(b):
    return None if b is None else b.decode("utf-8")


def _body(b):
    if b is None:
        return b""
    if isinstance(b, (bytes, bytearray, memoryview)):
        return bytes(b)
    return str(b).encode("utf-8")


def _json_text(value):
    """A dict/list -> JSON text; str/bytes are taken as JSON text already."""
    if isinstance(value, (bytes, str)):
        return _enc(value)
    return _json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _take(ptr, length=None):
    """Copy a library-allocated string out and free it with wh_free."""
    if not ptr:
        return None
    try:
        return _c.string_at(ptr, length) if length is not None else _c.string_at(ptr)
    finally:
        _free(ptr)


def _take_json(ptr):
    return _json.loads(_take(ptr).decode("utf-8"))


def _strings(items):
    items = [_enc(x) for x in items]
    return (_s * max(len(items), 1))(*items), len(items)


def _scheme(scheme):
    if isinstance(scheme, int):
        return scheme
    out = _i()
    _check(_scheme_parse(_enc(scheme), _c.byref(out)))
    return out.value


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _Handle:
    """An owned pointer to a library object, freed once by close()."""

    _free_fn = None
    _what = "object"

    def __init__(self, ptr):
        self._ptr = ptr

    @property
    def _h(self):
        if not self._ptr:
            raise _closed(self._what)
        return self._ptr

    @property
    def closed(self):
        return not self._ptr

    def close(self):
        ptr, self._ptr = self._ptr, None
        if ptr:
            type(self)._free_fn(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------
# Subscriptions and events


class Subscription(_Handle):
    """One registered webhook (wh_subscription). Subscription() has a new id and secret."""

    _free_fn = staticmethod(_sub_free)
    _what = "subscription"
    EVENTS, ACTIONS, PRODUCTS, IDENTIFIERS, RELATIONS = 0, 1, 2, 3, 4

    def __init__(self, url=None, events=(), _ptr=None, **fields):
        if _ptr is None:
            out = _p()
            _check(_sub_new(_c.byref(out)))
            _ptr = out.value
        super().__init__(_ptr)
        if url is not None:
            self.url = url
        for pattern in events:
            self.add_event(pattern)
        if fields:
            self.patch({_camel(k): v for k, v in fields.items()})

    @classmethod
    def from_json(cls, value):
        """Parse JSON text (str/bytes) or a dict; InvalidError lists every problem."""
        text = _json_text(value)
        out = _p()
        _check(_sub_from_json(_c.byref(out), text, len(text)))
        return cls(_ptr=out.value)

    def to_json(self, secrets=False):
        out, n = _p(), _sz()
        _check(_sub_to_json(self._h, 1 if secrets else 0, _c.byref(out), _c.byref(n)))
        return _take(out.value, n.value).decode("utf-8")

    def to_dict(self, secrets=False):
        return _json.loads(self.to_json(secrets))

    def patch(self, changes):
        """Apply a JSON merge patch (dict or JSON text); all or nothing."""
        text = _json_text(changes)
        _check(_sub_patch_json(self._h, text, len(text)))
        return self

    def validate(self):
        _check(_sub_validate(self._h))
        return self

    def _get(self, fn):
        return _dec(fn(self._h))

    id = property(lambda self: self._get(_sub_id),
                  lambda self, v: _check(_sub_set_id(self._h, _enc(v))))
    url = property(lambda self: self._get(_sub_url),
                   lambda self, v: _check(_sub_set_url(self._h, _enc(v))))
    name = property(lambda self: self._get(_sub_name),
                    lambda self, v: _check(_sub_set_name(self._h, _enc(v))))
    owner = property(lambda self: self._get(_sub_owner),
                     lambda self, v: _check(_sub_set_owner(self._h, _enc(v))))

    @property
    def status(self):
        return _dec(_status_name(_sub_status(self._h)))

    def _list(self, which):
        return [_dec(_sub_list_at(self._h, which, i))
                for i in range(_sub_list_count(self._h, which))]

    @property
    def events(self):
        return self._list(self.EVENTS)

    @events.setter
    def events(self, patterns):
        self.patch({"events": list(patterns)})

    def add_event(self, pattern):
        _check(_sub_list_add(self._h, self.EVENTS, _enc(pattern)))
        return self

    @property
    def secrets(self):
        return [_dec(_sub_secret_at(self._h, i)) for i in range(_sub_secret_count(self._h))]

    def set_header(self, name, value):
        """Set a custom header (value None removes it)."""
        _check(_sub_set_header(self._h, _enc(name), _enc(value)))
        return self

    def __repr__(self):
        return "<Subscription %s>" % (self.id if self._ptr else "closed")


class Event(_Handle):
    """An event to emit (wh_event): a type plus optional data and fields."""

    _free_fn = staticmethod(_ev_free)
    _what = "event"

    def __init__(self, type=None, data=None, *, id=None, entity=None, action=None, ids=(),
                 products=(), attributes=None, relations=None, identifier=None, source=None,
                 occurred_at=None, _ptr=None):
        if _ptr is None:
            out = _p()
            _check(_ev_new(_c.byref(out), _enc(type)))
            _ptr = out.value
        super().__init__(_ptr)
        if data is not None:
            self.data = data
        for value, setter in ((id, _ev_set_id), (entity, _ev_set_entity),
                              (action, _ev_set_action), (identifier, _ev_set_identifier),
                              (source, _ev_set_source)):
            if value is not None:
                _check(setter(self._h, _enc(value)))
        for i in ids:
            _check(_ev_add_id(self._h, _enc(i)))
        for p in products:
            _check(_ev_add_product(self._h, _enc(p)))
        for name, value in (attributes or {}).items():
            self.set_attribute(name, value)
        for name, value in (relations or {}).items():
            text = _json_text(value)
            _check(_ev_set_relation(self._h, _enc(name), text, len(text)))
        if occurred_at is not None:
            self.occurred_at = occurred_at

    @classmethod
    def from_json(cls, value):
        text = _json_text(value)
        out = _p()
        _check(_ev_from_json(_c.byref(out), text, len(text)))
        return cls(_ptr=out.value)

    def to_json(self):
        out, n = _p(), _sz()
        _check(_ev_to_json(self._h, _c.byref(out), _c.byref(n)))
        return _take(out.value, n.value).decode("utf-8")

    def to_dict(self):
        return _json.loads(self.to_json())

    id = property(lambda self: _dec(_ev_id(self._h)),
                  lambda self, v: _check(_ev_set_id(self._h, _enc(v))))
    type = property(lambda self: _dec(_ev_type(self._h)))

    @property
    def data(self):
        """The payload, parsed from JSON."""
        return _json.loads(_ev_data(self._h).decode("utf-8"))

    @data.setter
    def data(self, value):
        """Any JSON-serialisable value (bytes/str are taken as JSON text)."""
        text = _json_text(value)
        _check(_ev_set_data(self._h, text, len(text)))

    @property
    def occurred_at(self):
        """ms since the Unix epoch."""
        return _ev_occurred_at(self._h)

    @occurred_at.setter
    def occurred_at(self, ms):
        _check(_ev_set_occurred_at(self._h, int(ms)))

    def set_attribute(self, name, value):
        _check(_ev_set_attribute(self._h, _enc(name), _enc(value)))
        return self


# ---------------------------------------------------------------------------------------------
# Stores


class Page(list):
    """One page of a listing: a list, plus total (every match), page and limit."""

    def __init__(self, items, total, page, limit):
        super().__init__(items)
        self.total, self.page, self.limit = total, page, limit


def _page(doc, key):
    return Page(doc[key], doc["total"], doc["page"], doc["limit"])


class Store(_Handle):
    """Where subscriptions, the delivery queue and the attempt log live (wh_store)."""

    _free_fn = staticmethod(_store_free)
    _what = "store"

    def __init__(self, _ptr, _owner=None):
        super().__init__(_ptr)
        self._owner = _owner  # a Hub that owns this store: close() then leaves it alone
        self._users = set()

    @classmethod
    def memory(cls, **options):
        """A memory store. Options: max_finished (finished deliveries kept, the oldest dropped
        first; default 10 000, 0: no cap), max_event_ids (event ids remembered for event
        idempotency; default 100 000, 0: no cap)."""
        opts = _p()
        _check(_memory_opts_new(_c.byref(opts)))
        try:
            _apply_options(opts, _MEMORY_SETTERS, options, "memory store")
            out = _p()
            _check(_store_memory_new(_c.byref(out), opts))
        finally:
            _memory_opts_free(opts)
        return cls(out.value)

    @classmethod
    def sqlite(cls, path, **options):
        """Open or create a SQLite store. Options: busy_timeout_ms, synchronous ("full" or
        "normal"), max_page_count, read_only."""
        opts = _p()
        _check(_sqlite_opts_new(_c.byref(opts)))
        try:
            _apply_options(opts, _SQLITE_SETTERS, options, "SQLite store")
            out = _p()
            _check(_store_sqlite_new(_c.byref(out), _enc(os.fspath(path)), opts))
        finally:
            _sqlite_opts_free(opts)
        return cls(out.value)

    @classmethod
    def postgres(cls, conninfo, **options):
        """Connect to a PostgreSQL database (any libpq connection string or URI) that several
        processes may share. Options: max_connections, migrate."""
        opts = _p()
        _check(_pg_opts_new(_c.byref(opts)))
        try:
            _apply_options(opts, _POSTGRES_SETTERS, options, "PostgreSQL store")
            out = _p()
            _check(_store_postgres_new(_c.byref(out), _enc(conninfo), opts))
        finally:
            _pg_opts_free(opts)
        return cls(out.value)

    def close(self):
        if self._owner is not None:
            self._ptr = None
            return
        if self._ptr and self._users:
            raise StateError(-9, "store is still used by an open hub: close the hub first")
        super().close()

    def subscriptions(self, owner: str | None = None, secrets: bool = False, limit: int = 0,
                      page: int = 1) -> Page:
        """Webhooks of owner (None: every owner), oldest first."""
        out = _p()
        _check(_store_sub_list(self._h, _enc(owner), 1 if secrets else 0, limit, page,
                               _c.byref(out)))
        return _page(_take_json(out.value), "subscriptions")

    def deliveries(self, webhook_id: str | None = None, status: str | None = None,
                   limit: int = 0, page: int = 1) -> Page:
        """Deliveries, newest first, of one webhook (None: all); status: None (any), "pending",
        "in_flight", "succeeded" or "failed"."""
        code = -1 if status is None else _DELIVERY_STATUS.get(status, -2)
        out = _p()
        _check(_store_dlv_list(self._h, _enc(webhook_id), code, limit, page, _c.byref(out)))
        return _page(_take_json(out.value), "deliveries")

    def delivery(self, delivery_id: str) -> dict:
        """One delivery with its headers and body."""
        out = _p()
        _check(_store_dlv_get(self._h, _enc(delivery_id), _c.byref(out)))
        return _take_json(out.value)

    def attempts(self, delivery_id: str | None = None, webhook_id: str | None = None,
                 limit: int = 0, page: int = 1) -> Page:
        """The attempt log of one delivery or of one webhook (give exactly one), newest first."""
        out = _p()
        _check(_store_att_list(self._h, _enc(delivery_id), _enc(webhook_id), limit, page,
                               _c.byref(out)))
        return _page(_take_json(out.value), "attempts")

    def purge(self, older_than_ms: int) -> int:
        """Delete finished deliveries older than the time; returns how many went."""
        n = _sz()
        _check(_store_purge(self._h, int(older_than_ms), _c.byref(n)))
        return n.value


# ---------------------------------------------------------------------------------------------
# The hub


def _as_subscription(value):
    """(Subscription, whether we made it) from a Subscription, a dict or JSON text."""
    if isinstance(value, Subscription):
        return value, False
    return Subscription.from_json(value), True


class Hub(_Handle):
    """The delivery engine (wh_hub). Options are the wh_hub_options_set_* setters' names:
    max_in_flight, max_in_flight_per_subscription, slow_after_ms, retention_ms (finished
    deliveries kept this long; 0: forever), event_id_window_ms (an event id is accepted once
    this long: emitting it again raises ConflictError; default a day, 0: off), connect_timeout_ms, total_timeout_ms,
    max_response_bytes, max_body_bytes, retry_after_cap_s, disable_after_failures,
    disable_after_ms, jitter_percent, user_agent, allow_cidrs (a list), require_https,
    lease_ms, shared_queue, default_retry_schedule (a list of seconds), default_retry_off,
    ca_file, max_idle_connections. Callbacks: log(level, message) with log_level,
    on_disable(subscription_id, reason), clock() -> ms since the epoch. With no store, a
    memory store is used."""

    _free_fn = staticmethod(_hub_free)
    _what = "hub"

    def __init__(self, store=None, log=None, log_level=LOG_INFO, on_disable=None, clock=None,
                 **options):
        self._callbacks = self._make_callbacks(log, on_disable, clock)
        opts = _p()
        _check(_hub_opts_new(_c.byref(opts)))
        out = _p()
        try:
            cidrs = options.pop("allow_cidrs", ())
            schedule = options.pop("default_retry_schedule", None)
            _apply_options(opts, _HUB_SETTERS, options, "hub")
            for cidr in cidrs:
                _check(_hub_opts_allow_cidr(opts, _enc(cidr)))
            if schedule is not None:
                _check(_hub_opts_retry(opts, *_retry_schedule(schedule)))
            if store is not None:
                _check(_hub_opts_store(opts, store._h, 0))
            cbs = self._callbacks
            _check(_hub_opts_log(opts, cbs["log"], log_level, None))
            _check(_hub_opts_on_disable(opts, cbs["disable"], None))
            _check(_hub_opts_clock(opts, cbs["clock"], None))
            _check(_hub_new(_c.byref(out), opts))
        finally:
            _hub_opts_free(opts)
        super().__init__(out.value)
        self._users = set()
        if store is None:
            self._store = Store(_hub_store(out.value), _owner=self)
        else:
            self._store = store
            store._users.add(id(self))

    def close(self):
        if self._ptr and self._users:
            raise StateError(-9, "hub is still used by an open Api: close the Api first")
        if self._ptr:
            super().close()
            self._store._users.discard(id(self))
            if self._store._owner is self:
                self._store._ptr = None
        self._callbacks = {}

    @property
    def store(self):
        return self._store

    # ---- webhooks (subscriptions) ----
    def add(self, subscription) -> str:
        """Register a Subscription, dict or JSON text; returns its id."""
        sub, made = _as_subscription(subscription)
        try:
            _check(_hub_sub_add(self._h, sub._h))
            return sub.id
        finally:
            if made:
                sub.close()

    def get(self, webhook_id: str) -> Subscription:
        out = _p()
        _check(_hub_sub_get(self._h, _enc(webhook_id), _c.byref(out)))
        return Subscription(_ptr=out.value)

    def replace(self, subscription) -> None:
        sub, made = _as_subscription(subscription)
        try:
            _check(_hub_sub_replace(self._h, sub._h))
        finally:
            if made:
                sub.close()

    def patch(self, webhook_id: str, changes) -> Subscription:
        """Apply a JSON merge patch (a dict or JSON text); returns the result."""
        text = _json_text(changes)
        out = _p()
        _check(_hub_sub_patch(self._h, _enc(webhook_id), text, len(text), _c.byref(out)))
        return Subscription(_ptr=out.value)

    def delete(self, webhook_id: str) -> None:
        _check(_hub_sub_delete(self._h, _enc(webhook_id)))

    def rotate_secret(self, webhook_id: str, new_secret: str | None = None,
                      overlap_ms: int = 0) -> str:
        """Returns the new secret (shown this once)."""
        out = _p()
        _check(_hub_sub_rotate(self._h, _enc(webhook_id), _enc(new_secret), overlap_ms,
                               _c.byref(out)))
        return _take(out.value).decode("utf-8")

    def subscriptions(self, owner: str | None = None, secrets: bool = False, limit: int = 0,
                      page: int = 1) -> Page:
        return self._store.subscriptions(owner, secrets, limit, page)

    # ---- events and deliveries ----
    def emit(self, event, data=None, **fields) -> int:
        """Emit an Event (or a type with data and Event's keyword fields); returns how many
        deliveries were queued."""
        made = not isinstance(event, Event)
        ev = Event(event, data, **fields) if made else event
        try:
            n = _sz()
            _check(_hub_emit(self._h, ev._h, _c.byref(n)))
            return n.value
        finally:
            if made:
                ev.close()

    def emit_batch(self, events) -> int:
        """Emit several Events in one atomic batch (one transaction for a SQLite store); returns
        how many deliveries were queued in all."""
        events = list(events)
        arr = (_p * max(len(events), 1))(*[ev._h for ev in events])
        n = _sz()
        _check(_hub_emit_batch(self._h, arr, len(events), _c.byref(n)))
        return n.value

    def emit_to(self, event, webhook_id: str, data=None, **fields) -> None:
        """Emit an Event (or a type with data and fields) to one webhook only, whatever its
        event filters say (the REST API's test event)."""
        made = not isinstance(event, Event)
        ev = Event(event, data, **fields) if made else event
        try:
            _check(_hub_emit_to(self._h, ev._h, _enc(webhook_id)))
        finally:
            if made:
                ev.close()

    def deliveries(self, webhook_id: str | None = None, status: str | None = None,
                   limit: int = 0, page: int = 1) -> Page:
        return self._store.deliveries(webhook_id, status, limit, page)

    def delivery(self, delivery_id: str) -> dict:
        return self._store.delivery(delivery_id)

    def attempts(self, delivery_id: str | None = None, webhook_id: str | None = None,
                 limit: int = 0, page: int = 1) -> Page:
        return self._store.attempts(delivery_id, webhook_id, limit, page)

    def replay(self, delivery_id: str) -> None:
        """Send a delivery again (same idempotency key) on the next run."""
        _check(_hub_replay(self._h, _enc(delivery_id)))

    def replay_since(self, webhook_id: str, since_ms: int = 0) -> int:
        """Send again every finished delivery of a webhook made at or after since_ms."""
        n = _sz()
        _check(_hub_replay_since(self._h, _enc(webhook_id), int(since_ms), _c.byref(n)))
        return n.value

    def recover(self, webhook_id: str, since_ms: int = 0) -> int:
        """Send again the failed deliveries of an active webhook made at or after since_ms
        (e.g. those failed while it was disabled); returns how many."""
        n = _sz()
        _check(_hub_recover(self._h, _enc(webhook_id), int(since_ms), _c.byref(n)))
        return n.value

    # ---- the loop ----
    def run(self, timeout_ms: int = 0) -> None:
        """One bounded round of delivery work, waiting at most timeout_ms (the GIL is
        released meanwhile)."""
        _check(_hub_run(self._h, int(timeout_ms)))

    def timeout_ms(self):
        """ms until run() has work (0: now), -1 when nothing is scheduled."""
        return _hub_timeout_ms(self._h)

    @property
    def in_flight(self):
        return _hub_in_flight(self._h)

    def idle(self):
        """Nothing in flight and nothing due now (retries may be scheduled later)."""
        return self.in_flight == 0 and self.timeout_ms() != 0

    def run_until(self, predicate, timeout_ms: int = 10000, step_ms: int = 20) -> bool:
        """Run until predicate() holds (True) or timeout_ms pass (False)."""
        end = time.monotonic() + timeout_ms / 1000.0
        while not predicate():
            if time.monotonic() >= end:
                return False
            self.run(step_ms)
        return True

    def run_until_idle(self, timeout_ms: int = 10000) -> bool:
        """Run until nothing is in flight or due now (True), or timeout_ms pass (False)."""
        ok = self.run_until(self.idle, timeout_ms)
        self.run(0)
        return ok

    def pollfds(self):
        """[(fd, events)] to poll (select.POLLIN / POLLOUT bits) before calling run(0)."""
        n = _sz()
        _check(_hub_pollfds_flat(self._h, None, None, 0, _c.byref(n)))
        cap = n.value + 8
        fds, events = (_i * cap)(), (_i * cap)()
        _check(_hub_pollfds_flat(self._h, fds, events, cap, _c.byref(n)))
        return [(fds[i], events[i]) for i in range(min(n.value, cap))]

    def now(self):
        """The hub's clock, ms since the Unix epoch."""
        return _hub_now(self._h)

    # ---- callbacks (each kept alive here for the hub's life) ----
    @staticmethod
    def _make_callbacks(log, on_disable, clock):
        def log_trampoline(lvl, message, _ud):
            try:
                log(lvl, message.decode("utf-8", "replace"))
            except Exception:
                traceback.print_exc(file=sys.stderr)

        def disable_trampoline(sub_id, reason, _ud):
            try:
                on_disable(_dec(sub_id), _dec(reason))
            except Exception:
                traceback.print_exc(file=sys.stderr)

        def clock_trampoline(_ud):
            try:
                return int(clock())
            except Exception:
                traceback.print_exc(file=sys.stderr)
                return int(time.time() * 1000)
        return {
            "log": LOG_CB(log_trampoline) if log else LOG_CB(),
            "disable": DISABLE_CB(disable_trampoline) if on_disable else DISABLE_CB(),
            "clock": CLOCK_CB(clock_trampoline) if clock else CLOCK_CB(),
        }


# ---------------------------------------------------------------------------------------------
# The registration API


class ApiResponse:
    """status (int), headers (list of (name, value)), body (bytes)."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return _json.loads(self.body.decode("utf-8")) if self.body else None

    def __repr__(self):
        return "<ApiResponse %d>" % self.status


def scopes(value):
    """An int of SCOPE_* bits from an int or a list like "webhooks:read,webhooks:write"."""
    if isinstance(value, int):
        return value
    if not isinstance(value, (str, bytes)):
        value = ",".join(value)
    out = _u()
    _check(_api_scopes_parse(_enc(value), _c.byref(out)))
    return out.value


class Api(_Handle):
    """The HTTP-agnostic registration API (wh_api) over a hub it borrows."""

    _free_fn = staticmethod(_api_free)
    _what = "api"

    def __init__(self, hub, reveal_secrets=False, server_ids=False):
        out = _p()
        _check(_api_new(_c.byref(out), hub._h))
        super().__init__(out.value)
        self._hub = hub
        hub._users.add(id(self))
        self._auth = None
        if reveal_secrets:
            _check(_api_set_reveal(self._h, 1))
        if server_ids:
            _check(_api_set_server_ids(self._h, 1))

    def close(self):
        if self._ptr:
            super().close()
            self._hub._users.discard(id(self))
        self._auth = None

    def add_key(self, key, owner, scope="webhooks:read,webhooks:write"):
        _check(_api_add_key(self._h, _enc(key), _enc(owner), scopes(scope)))

    def remove_key(self, key):
        _check(_api_remove_key(self._h, _enc(key)))

    def add_event_type(self, name, display_name=None, custom_id=None):
        _check(_api_add_type(self._h, _enc(name), _enc(display_name), _enc(custom_id)))

    def add_entity(self, entity, actions=()):
        arr, n = _strings(actions)
        _check(_api_add_entity(self._h, _enc(entity), arr, n))

    def add_relation(self, relation):
        _check(_api_add_relation(self._h, _enc(relation)))

    def load_catalogue(self, catalogue):
        text = _json_text(catalogue)
        _check(_api_load_catalogue(self._h, text, len(text)))

    def set_auth(self, callback):
        """callback(credential) -> (owner, scopes) for a valid credential, or None."""
        def trampoline(credential, owner_buf, owner_size, scopes_out, _ud):
            try:
                found = callback(_dec(credential))
                if not found:
                    return -5  # WH_EUNAUTHORIZED
                owner, scope = found
                raw = _enc(owner)[:owner_size - 1] + b"\0"
                _c.memmove(owner_buf, raw, len(raw))
                scopes_out[0] = scopes(scope)
                return 0
            except Exception:
                traceback.print_exc(file=sys.stderr)
                return -8  # WH_EIO: the host could not decide (500, not 401)
        cb = AUTH_CB(trampoline) if callback else AUTH_CB()
        _check(_api_set_auth(self._h, cb, None))
        self._auth = cb

    def handle(self, method, path, query=None, headers=None, body=b""):
        """Handle one request; headers: a dict or (name, value) pairs; returns ApiResponse."""
        pairs = list(headers.items() if hasattr(headers, "items") else headers or [])
        names, n = _strings([k for k, _ in pairs])
        values, _ = _strings([v for _, v in pairs])
        raw = _body(body)
        status, hdr, out, out_len = _i(), _p(), _p(), _sz()
        _check(_api_handle_simple(self._h, _enc(method), _enc(path), _enc(query), names, values,
                                  n, raw, len(raw), _c.byref(status), _c.byref(hdr),
                                  _c.byref(out), _c.byref(out_len)))
        lines = (_take(hdr.value) or b"").decode("utf-8").split("\r\n")
        header_list = [tuple(x.split(": ", 1)) for x in lines if ": " in x]
        return ApiResponse(status.value, header_list, _take(out.value, out_len.value) or b"")


# ---------------------------------------------------------------------------------------------
# Signatures


def sign(scheme, secrets, body, msg_id=None, timestamp=0):
    """Sign body; returns the headers a delivery carries as a dict (in order).
    scheme: "standard", "github", "stripe" or "none"; secrets: a str or a list of them."""
    if isinstance(secrets, (str, bytes)):
        secrets = [secrets]
    arr, n = _strings(secrets)
    raw = _body(body)
    out = _p()
    _check(_sign(_c.byref(out), _scheme(scheme), arr, n, _enc(msg_id), int(timestamp), raw,
                 len(raw)))
    try:
        return {_dec(_headers_name(out, i)): _dec(_headers_value(out, i))
                for i in range(_headers_count(out))}
    finally:
        _headers_free(out)


def verify(scheme, secrets, headers, body, now=0, tolerance_s=0):
    """Verify a received delivery; returns True or raises a SignatureError subclass.
    headers: a dict, an http.client/http.server message, or (name, value) pairs."""
    if isinstance(secrets, (str, bytes)):
        secrets = [secrets]
    sec, ns = _strings(secrets)
    pairs = list(headers.items() if hasattr(headers, "items") else headers)
    names, nh = _strings([k for k, _ in pairs])
    values, _ = _strings([v for _, v in pairs])
    raw = _body(body)
    _check(_verify(_scheme(scheme), sec, ns, names, values, nh, raw, len(raw), int(now),
                   int(tolerance_s)))
    return True


def version():
    """The version of the loaded library, e.g. "0.1.0"."""
    return _version().decode()
