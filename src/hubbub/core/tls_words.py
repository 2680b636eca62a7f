"""A failed TLS handshake said in a sentence a person can act on, instead of OpenSSL's text
("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate
(_ssl.c:1020)") wrapped in urllib3's and requests' own exceptions."""

from __future__ import annotations

import ssl

NOT_VERIFIED = "the server's certificate could not be verified"
# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) that a person can do something about.
_WHY = {
    9: "it is not valid yet (is this machine's clock right?)",
    10: "it has expired",
    18: "it is self-signed, so nothing vouches for it",
    19: "it is signed by an authority of its own that this machine does not trust",
    20: "it is signed by an authority this machine does not trust, or the server leaves out "
        "its intermediate certificate",
    21: "the server leaves out its intermediate certificate",
    23: "it has been revoked",
    62: "it was issued for another name than this address",
}
# OpenSSL reasons meaning the other side does not speak TLS on that port at all.
_NOT_TLS = {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "UNEXPECTED_EOF_WHILE_READING",
            "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"}


def find_ssl_error(exc: BaseException) -> ssl.SSLError | None:
    """The ssl module's own error inside `exc` (causes, contexts and wrapped arguments)."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        todo += [e for e in (current.__cause__, current.__context__, *current.args)
                 if isinstance(e, BaseException)]
        reason = getattr(current, "reason", None)  # urllib3's MaxRetryError keeps it here
        if isinstance(reason, BaseException):
            todo.append(reason)
    return None


def tls_sentence(exc: BaseException) -> str:
    """Why a secure connection could not be made, in words (no trailing full stop)."""
    err = find_ssl_error(exc)
    if isinstance(err, ssl.SSLCertVerificationError):
        why = _WHY.get(err.verify_code)
        return f"{NOT_VERIFIED}: {why}" if why else NOT_VERIFIED
    if err is not None and err.reason in _NOT_TLS:
        return ("the server did not set up a secure connection: it may not offer https at "
                "this address and port")
    return "a secure connection to the server could not be set up"
