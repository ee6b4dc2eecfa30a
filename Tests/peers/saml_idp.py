"""A real SAML 2.0 identity provider for Flowgate's service-provider tests, built on pysaml2.

It runs on loopback only and needs Debian's `xmlsec1` binary (pysaml2 signs through it).
Service providers are registered by posting their metadata (the SP's own generated metadata),
AuthnRequests arrive over HTTP-Redirect, and the answer is an auto-submitting HTML form that
posts a signed Response to the SP's assertion consumer service, as a browser would.

Admin endpoints:
  POST /admin/sp            body: SP metadata XML          -> registers the SP
  POST /admin/mode          {"mode": ...}                  -> how the next responses are made
  POST /admin/unsolicited   {"sp": entity id}              -> IdP-initiated response (form HTML)
  POST /admin/tamper        {"response": b64, "variant"}   -> a forged variant (see saml_attacks)

Usage: python saml_idp.py --port-file /tmp/idp.port
"""

import argparse
import base64
import datetime
import html
import os
import tempfile
import threading
import time
import uuid

from peer_process import accept_termination, watch_parent
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, jsonify, request
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from werkzeug.serving import make_server

import saml_attacks

USER = {
    "email": ["grace@example.test"],
    "displayName": ["Grace Hopper"],
    "groups": ["compilers", "flowgate-admins"],
}
NAME_ID = "grace@example.test"

LOCK = threading.Lock()
STATE = {"mode": "assertion_signed", "server": None, "keys": {}, "sps": {}, "require_signed_requests": False}


def make_key_pair(directory, name, common_name):
    """A fresh RSA key and self-signed certificate, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path = os.path.join(directory, name + ".key")
    cert_path = os.path.join(directory, name + ".crt")
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
        )
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def build_server(base, key_path, cert_path, sp_metadata):
    config = {
        "entityid": base + "/metadata",
        "service": {
            "idp": {
                "name": "Flowgate test IdP",
                "endpoints": {
                    "single_sign_on_service": [
                        (base + "/sso/redirect", BINDING_HTTP_REDIRECT),
                    ],
                },
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                    },
                },
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "want_authn_requests_signed": False,
            },
        },
        "key_file": key_path,
        "cert_file": cert_path,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"inline": list(sp_metadata)},
        "accepted_time_diff": 60,
    }
    conf = IdPConfig()
    conf.load(config)
    return Server(config=conf), conf


def post_form(destination, saml_response_b64, relay_state):
    relay = f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}"/>' if relay_state else ""
    return (
        "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\">"
        f'<form method="post" action="{html.escape(destination)}">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response_b64)}"/>'
        f"{relay}<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"
    )


def verify_redirect_signature(raw_query, sp_metadata):
    """Checks an HTTP-Redirect signature over the raw (still encoded) query parameters.

    Returns None when the request is unsigned, True when the signature verifies with the SP's
    metadata certificate, False otherwise.
    """
    from urllib.parse import unquote_plus

    from cryptography.hazmat.primitives.asymmetric import padding

    raw = {}
    for part in raw_query.split("&"):
        key, _, value = part.partition("=")
        raw[key] = value
    if "Signature" not in raw:
        return None
    if unquote_plus(raw.get("SigAlg", "")) != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" or not sp_metadata:
        return False
    signed = "&".join(f"{k}={raw[k]}" for k in ("SAMLRequest", "RelayState", "SigAlg") if k in raw)
    root = etree.fromstring(sp_metadata.encode())
    cert_text = root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    if not cert_text:
        return False
    cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_text.split())))
    try:
        cert.public_key().verify(
            base64.b64decode(unquote_plus(raw["Signature"])), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return True
    except Exception:
        return False


def make_response(server, in_response_to, acs_url, sp_entity_id):
    """Builds the Response for the current mode; returns the XML text."""
    mode = STATE["mode"]
    name_id = NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=NAME_ID)
    authn = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport", "authn_auth": "test"}
    genuine_signing = {
        "assertion_signed": (False, True),
        "response_signed": (True, False),
        "both_signed": (True, True),
    }
    if mode in genuine_signing:
        sign_response, sign_assertion = genuine_signing[mode]
        response = server.create_authn_response(
            dict(USER),
            in_response_to,
            acs_url,
            sp_entity_id,
            name_id=name_id,
            authn=authn,
            sign_response=sign_response,
            sign_assertion=sign_assertion,
            sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
        )
        return str(response)
    # Every other mode starts from an unsigned genuine response, changes it, and (unless the
    # mode is "unsigned") signs the assertion with the IdP key or another key.
    response = server.create_authn_response(
        dict(USER),
        in_response_to,
        acs_url,
        sp_entity_id,
        name_id=name_id,
        authn=authn,
        sign_response=False,
        sign_assertion=False,
    )
    xml = str(response).encode()
    key_path, cert_path = STATE["keys"]["idp"]
    return saml_attacks.issue_variant(xml, mode, key_path, cert_path, STATE["keys"]["other"]).decode()


def create_app(base, key_path, cert_path):
    app = Flask(__name__)

    def rebuild():
        STATE["server"], STATE["conf"] = build_server(base, key_path, cert_path, STATE["sps"].values())

    rebuild()

    @app.get("/metadata")
    def metadata():
        return str(entity_descriptor(STATE["conf"])), 200, {"Content-Type": "application/samlmetadata+xml"}

    @app.post("/admin/sp")
    def register_sp():
        xml = request.get_data(as_text=True)
        root = etree.fromstring(xml.encode())
        with LOCK:
            STATE["sps"][root.get("entityID")] = xml
            rebuild()
        return jsonify(entity_id=root.get("entityID"))

    @app.post("/admin/mode")
    def set_mode():
        STATE["mode"] = request.get_json(force=True)["mode"]
        return jsonify(mode=STATE["mode"])

    @app.post("/admin/require-signed-requests")
    def require_signed_requests():
        STATE["require_signed_requests"] = bool(request.get_json(force=True)["required"])
        return jsonify(required=STATE["require_signed_requests"])

    @app.get("/sso/redirect")
    def sso_redirect():
        server = STATE["server"]
        saml_request = request.args.get("SAMLRequest")
        relay_state = request.args.get("RelayState")
        if not saml_request:
            return "missing SAMLRequest", 400
        parsed = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        authn_request = parsed.message
        sp_entity_id = authn_request.issuer.text
        signed = verify_redirect_signature(request.query_string.decode(), STATE["sps"].get(sp_entity_id))
        if signed is False or (STATE["require_signed_requests"] and not signed):
            return "AuthnRequest signature missing or invalid", 403
        acs_url = authn_request.assertion_consumer_service_url
        known = server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
        if not any(a["location"] == acs_url for a in known):
            return "unknown assertion consumer service", 400
        if STATE["mode"] == "status_error":
            response = server.create_error_response(
                authn_request.id, acs_url, Exception("authentication failed"), sign=True
            )
            xml = str(response)
        else:
            xml = make_response(server, authn_request.id, acs_url, sp_entity_id)
        encoded = base64.b64encode(xml.encode()).decode()
        return post_form(acs_url, encoded, relay_state)

    @app.post("/admin/unsolicited")
    def unsolicited():
        server = STATE["server"]
        sp_entity_id = request.get_json(force=True)["sp"]
        acs = server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
        acs_url = acs[0]["location"]
        xml = make_response(server, None, acs_url, sp_entity_id)
        encoded = base64.b64encode(xml.encode()).decode()
        return post_form(acs_url, encoded, None)

    @app.post("/admin/tamper")
    def tamper():
        body = request.get_json(force=True)
        xml = base64.b64decode(body["response"])
        forged = saml_attacks.tamper(xml, body["variant"])
        return jsonify(response=base64.b64encode(forged).decode())

    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    args = parser.parse_args()
    accept_termination()
    if not args.host.startswith("127.") and args.host != "localhost":
        raise SystemExit("the test IdP listens on loopback only")

    probe = make_server(args.host, args.port, Flask("probe"))
    port = probe.server_port
    probe.server_close()
    base = f"http://{args.host}:{port}"

    directory = tempfile.mkdtemp(prefix="fg-sso-idp-")
    STATE["keys"]["idp"] = make_key_pair(directory, "idp", "Flowgate test IdP")
    STATE["keys"]["other"] = make_key_pair(directory, "other", "Someone else")
    app = create_app(base, *STATE["keys"]["idp"])
    server = make_server(args.host, port, app, threaded=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    if args.parent_pid:
        watch_parent(args.parent_pid)
    server.serve_forever()


if __name__ == "__main__":
    _ = uuid  # ids come from pysaml2; uuid kept for forged ids in saml_attacks
    main()
