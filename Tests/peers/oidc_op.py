"""A real OpenID provider for Flowgate's relying-party tests, built on Authlib + Flask.

It runs on loopback only, auto-approves one test user (no login page), enforces PKCE with
S256, signs ID tokens with RS256 under a `kid`, publishes its JWKS, serves userinfo, and adds
the RFC 9207 `iss` parameter to authorization responses. Admin endpoints let a test rotate the
signing key mid-test and switch the provider into misbehaving modes (bad tokens, wrong issuer)
to prove that the relying party refuses each one.

Usage: python oidc_op.py --port 0 --port-file /tmp/op.port
The chosen port is written to --port-file once the server listens.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time

from peer_process import accept_termination, watch_parent
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

USER = {
    "sub": "user-0001",
    "email": "ada@example.test",
    "name": "Ada Lovelace",
    "groups": ["engineering", "flowgate-admins"],
}

LOCK = threading.Lock()
STATE = {
    "mode": "normal",
    "issuer": None,
    "key": None,
    "jwks_fetches": 0,
    "codes": {},
    "tokens": {},
    "clients": {},
}


def new_key():
    return RSAKey.generate_key(2048, parameters={"kid": "k-" + secrets.token_hex(6), "use": "sig", "alg": "RS256"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Client(ClientMixin):
    def __init__(self, client_id, client_secret, redirect_uris):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        allowed = {"openid", "email", "profile", "groups"}
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code(AuthorizationCodeMixin):
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time


class StrictS256(CodeChallenge):
    """PKCE is mandatory for every client, and only with S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, req):
        with LOCK:
            STATE["codes"][code] = Code(
                code=code,
                client_id=req.client.client_id,
                redirect_uri=req.payload.redirect_uri,
                scope=req.payload.scope,
                nonce=req.payload.data.get("nonce"),
                auth_time=int(time.time()),
                code_challenge=req.payload.data.get("code_challenge"),
                code_challenge_method=req.payload.data.get("code_challenge_method"),
            )

    def query_authorization_code(self, code, client):
        with LOCK:
            item = STATE["codes"].get(code)
        if item and item.client_id == client.client_id:
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        with LOCK:
            STATE["codes"].pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return USER


class OpenIDCodeExtension(OpenIDCode):
    def exists_nonce(self, nonce, req):
        with LOCK:
            return any(c.nonce == nonce for c in STATE["codes"].values())

    def resolve_client_private_key(self, client):
        return STATE["key"]

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": STATE["key"].kid}

    def get_client_claims(self, client):
        now = int(time.time())
        return {"iss": STATE["issuer"], "aud": [client.get_client_id()], "exp": now + 300}

    def generate_user_info(self, user, scope):
        return UserInfo(sub=user["sub"], email=user["email"], name=user["name"], groups=user["groups"])


class Issuer(IssuerParameter):
    def get_issuer(self):
        if STATE["mode"] == "wrong_iss_param":
            return "http://evil.invalid/issuer"
        if STATE["mode"] == "no_iss_param":
            return None
        return STATE["issuer"]


def sign_claims(claims, key, alg="RS256", kid=None):
    header = {"alg": alg, "kid": kid if kid is not None else key.kid}
    return jwt.encode(header, claims, key, [alg])


def half_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    return b64url(digest[: len(digest) // 2])


def misbehave(token_response: dict) -> dict:
    """Replaces the genuine ID token according to the current mode."""
    mode = STATE["mode"]
    id_token = token_response.get("id_token")
    if not id_token or mode in ("normal", "wrong_iss_param", "no_iss_param", "wrong_issuer_discovery", "userinfo_other_sub"):
        return token_response
    claims = json.loads(b64url_decode(id_token.split(".")[1]))
    key = STATE["key"]
    now = int(time.time())
    if mode == "alg_none":
        header = b64url(json.dumps({"alg": "none", "kid": key.kid}).encode())
        payload = b64url(json.dumps(claims).encode())
        forged = f"{header}.{payload}."
    elif mode == "hs256_public_key":
        # The classic confusion: HMAC keyed with the provider's public key.
        header = b64url(json.dumps({"alg": "HS256", "kid": key.kid, "typ": "JWT"}).encode())
        payload = b64url(json.dumps(claims).encode())
        public_pem = key.as_pem(private=False)
        mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        forged = f"{header}.{payload}.{b64url(mac)}"
    elif mode == "wrong_aud":
        claims["aud"] = ["someone-else"]
        forged = sign_claims(claims, key)
    elif mode == "multi_aud_no_azp":
        claims["aud"] = [claims["aud"][0] if isinstance(claims["aud"], list) else claims["aud"], "another-client"]
        claims.pop("azp", None)
        forged = sign_claims(claims, key)
    elif mode == "expired":
        claims["iat"] = now - 1200
        claims["exp"] = now - 600
        forged = sign_claims(claims, key)
    elif mode == "iat_future":
        claims["iat"] = now + 3600
        claims["exp"] = now + 7200
        forged = sign_claims(claims, key)
    elif mode == "wrong_nonce":
        claims["nonce"] = "forged-nonce"
        forged = sign_claims(claims, key)
    elif mode == "wrong_issuer_token":
        claims["iss"] = "http://evil.invalid/issuer"
        forged = sign_claims(claims, key)
    elif mode == "bad_at_hash":
        claims["at_hash"] = half_hash("some-other-access-token")
        forged = sign_claims(claims, key)
    elif mode == "unknown_kid":
        forged = sign_claims(claims, new_key())
    elif mode == "bad_signature":
        head, body, sig = id_token.split(".")
        raw = bytearray(b64url_decode(sig))
        raw[0] ^= 0x01
        forged = f"{head}.{body}.{b64url(bytes(raw))}"
    elif mode == "subject_swap":
        # Valid signature, but a token minted for another session (nonce mismatch follows).
        claims["sub"] = "user-9999"
        claims["nonce"] = "nonce-of-another-login"
        forged = sign_claims(claims, key)
    else:
        raise ValueError(f"unknown mode {mode}")
    token_response["id_token"] = forged
    return token_response


def create_app(issuer, clients):
    app = Flask(__name__)
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}
    STATE["issuer"] = issuer
    STATE["key"] = new_key()
    STATE["clients"] = {c.client_id: c for c in clients}

    def query_client(client_id):
        return STATE["clients"].get(client_id)

    def save_token(token, req):
        with LOCK:
            STATE["tokens"][token["access_token"]] = {"user": req.user, "scope": token.get("scope", "")}

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(CodeGrant, [OpenIDCodeExtension(require_nonce=True), StrictS256(required=True)])
    server.register_extension(Issuer())

    @app.get("/.well-known/openid-configuration")
    def discovery():
        iss = STATE["issuer"]
        shown = iss + "/evil" if STATE["mode"] == "wrong_issuer_discovery" else iss
        return jsonify(
            issuer=shown,
            authorization_endpoint=iss + "/authorize",
            token_endpoint=iss + "/token",
            jwks_uri=iss + "/jwks",
            userinfo_endpoint=iss + "/userinfo",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            scopes_supported=["openid", "email", "profile", "groups"],
            authorization_response_iss_parameter_supported=True,
        )

    @app.get("/jwks")
    def jwks():
        with LOCK:
            STATE["jwks_fetches"] += 1
        return jsonify(keys=[STATE["key"].as_dict(private=False)])

    @app.get("/authorize")
    def authorize():
        # No login page: the test user is signed in and consents.
        return server.create_authorization_response(grant_user=USER)

    @app.post("/token")
    def token():
        response = server.create_token_response()
        if response.status_code == 200:
            body = misbehave(json.loads(response.get_data()))
            response.set_data(json.dumps(body))
        return response

    @app.get("/userinfo")
    def userinfo():
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return jsonify(error="invalid_token"), 401
        with LOCK:
            item = STATE["tokens"].get(auth[len("Bearer "):])
        if not item:
            return jsonify(error="invalid_token"), 401
        info = dict(USER)
        info["groups"] = USER["groups"] + ["from-userinfo"]
        if STATE["mode"] == "userinfo_other_sub":
            info["sub"] = "user-9999"
        return jsonify(info)

    @app.post("/admin/mode")
    def set_mode():
        STATE["mode"] = request.get_json(force=True)["mode"]
        return jsonify(mode=STATE["mode"])

    @app.post("/admin/rotate")
    def rotate():
        STATE["key"] = new_key()
        return jsonify(kid=STATE["key"].kid)

    @app.post("/admin/clients")
    def register_client():
        body = request.get_json(force=True)
        client = Client(body["client_id"], body["client_secret"], body["redirect_uris"])
        with LOCK:
            STATE["clients"][client.client_id] = client
        return jsonify(client_id=client.client_id)

    @app.get("/admin/stats")
    def stats():
        return jsonify(jwks_fetches=STATE["jwks_fetches"], kid=STATE["key"].kid, mode=STATE["mode"])

    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument(
        "--client",
        action="append",
        default=[],
        help="client_id:client_secret:redirect_uri (repeatable)",
    )
    args = parser.parse_args()
    accept_termination()
    if not args.host.startswith("127.") and args.host != "localhost":
        raise SystemExit("the test provider listens on loopback only")

    # Bind first so that the issuer can carry the real port.
    probe = make_server(args.host, args.port, Flask("probe"))
    port = probe.server_port
    probe.server_close()
    issuer = f"http://{args.host}:{port}"
    clients = []
    for spec in args.client:
        client_id, secret, redirect = spec.split(":", 2)
        clients.append(Client(client_id, secret, [redirect]))
    app = create_app(issuer, clients)
    server = make_server(args.host, port, app, threaded=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os

        os.replace(args.port_file + ".tmp", args.port_file)
    if args.parent_pid:
        watch_parent(args.parent_pid)
    server.serve_forever()


if __name__ == "__main__":
    main()
