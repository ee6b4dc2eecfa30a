"""Forged and misissued SAML responses for Flowgate's service-provider tests.

Two families:

* issue_variant(): responses *issued* by an IdP (signed with a key it holds) that are wrong in
  one field: Destination, Recipient, Audience, Issuer, InResponseTo, validity, algorithm, or
  signed with a key the SP does not trust. These test the SP's policy checks, since the
  signature itself is fine.
* tamper(): what an attacker without the key can do to a genuine signed response: signature
  wrapping (unsigned assertions beside/before the signed one, the signed one moved into
  Extensions with a forged copy under the same ID, decoy signatures), a comment inside NameID,
  a DOCTYPE, a forbidden transform, an edited attribute, stripped signatures.

Signing goes through Debian's xmlsec1 binary (as pysaml2 does), from a template built here.
"""

import copy
import datetime
import os
import subprocess
import tempfile
import uuid

from lxml import etree

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
DS = "{%s}" % NS["ds"]
SAML = "{%s}" % NS["saml"]
SAMLP = "{%s}" % NS["samlp"]

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"


def _parse(xml: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(xml, parser)


def _serialize(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _timestamp(delta_seconds: int) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _signature_template(ref_id: str, cert_path: str, sign_alg: str, digest_alg: str):
    with open(cert_path) as f:
        cert_body = "".join(line.strip() for line in f if "CERTIFICATE" not in line)
    sig = etree.Element(DS + "Signature", nsmap={"ds": NS["ds"]})
    info = etree.SubElement(sig, DS + "SignedInfo")
    etree.SubElement(info, DS + "CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(info, DS + "SignatureMethod", Algorithm=sign_alg)
    ref = etree.SubElement(info, DS + "Reference", URI="#" + ref_id)
    transforms = etree.SubElement(ref, DS + "Transforms")
    etree.SubElement(transforms, DS + "Transform", Algorithm=ENVELOPED)
    etree.SubElement(transforms, DS + "Transform", Algorithm=EXC_C14N)
    etree.SubElement(ref, DS + "DigestMethod", Algorithm=digest_alg)
    etree.SubElement(ref, DS + "DigestValue")
    etree.SubElement(sig, DS + "SignatureValue")
    key_info = etree.SubElement(sig, DS + "KeyInfo")
    x509 = etree.SubElement(key_info, DS + "X509Data")
    etree.SubElement(x509, DS + "X509Certificate").text = cert_body
    return sig


def sign_assertion(xml: bytes, key_path: str, cert_path: str, sign_alg=RSA_SHA256, digest_alg=SHA256) -> bytes:
    """Signs the Response's Assertion (enveloped, exclusive c14n) with xmlsec1."""
    root = _parse(xml)
    assertion = root.find("saml:Assertion", NS)
    for old in assertion.findall("ds:Signature", NS):
        assertion.remove(old)
    issuer = assertion.find("saml:Issuer", NS)
    template = _signature_template(assertion.get("ID"), cert_path, sign_alg, digest_alg)
    issuer.addnext(template)
    with tempfile.TemporaryDirectory(prefix="fg-sso-sign-") as d:
        src = os.path.join(d, "in.xml")
        dst = os.path.join(d, "out.xml")
        with open(src, "wb") as f:
            f.write(_serialize(root))
        subprocess.run(
            [
                "xmlsec1", "--sign", "--privkey-pem", f"{key_path},{cert_path}",
                "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                "--output", dst, src,
            ],
            check=True,
            capture_output=True,
        )
        with open(dst, "rb") as f:
            return f.read()


def issue_variant(unsigned_xml: bytes, mode: str, key_path: str, cert_path: str, other_keys) -> bytes:
    """A response issued by the IdP that is wrong in exactly one respect (see module doc)."""
    root = _parse(unsigned_xml)
    assertion = root.find("saml:Assertion", NS)
    confirmation_data = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    conditions = assertion.find("saml:Conditions", NS)
    sign_alg, digest_alg = RSA_SHA256, SHA256
    if mode == "unsigned":
        return _serialize(root)
    elif mode == "other_key":
        key_path, cert_path = other_keys
    elif mode == "wrong_destination":
        root.set("Destination", "http://127.0.0.1:9/sso/other/acs")
    elif mode == "wrong_recipient":
        confirmation_data.set("Recipient", "http://127.0.0.1:9/sso/other/acs")
    elif mode == "wrong_audience":
        conditions.find("saml:AudienceRestriction/saml:Audience", NS).text = "http://127.0.0.1:9/sso/other/metadata"
    elif mode == "wrong_issuer":
        for issuer in (root.find("saml:Issuer", NS), assertion.find("saml:Issuer", NS)):
            if issuer is not None:
                issuer.text = "http://127.0.0.1:9/another-idp"
    elif mode == "wrong_in_response_to":
        forged = "id-" + uuid.uuid4().hex
        root.set("InResponseTo", forged)
        confirmation_data.set("InResponseTo", forged)
    elif mode == "expired":
        conditions.set("NotBefore", _timestamp(-3600))
        conditions.set("NotOnOrAfter", _timestamp(-1800))
        confirmation_data.set("NotOnOrAfter", _timestamp(-1800))
    elif mode == "not_yet_valid":
        conditions.set("NotBefore", _timestamp(1800))
    elif mode == "no_bearer":
        confirmation_data.getparent().set("Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
    elif mode == "sha1":
        sign_alg, digest_alg = RSA_SHA1, SHA1
    else:
        raise ValueError(f"unknown mode {mode}")
    return sign_assertion(_serialize(root), key_path, cert_path, sign_alg, digest_alg)


def _forged_copy(assertion, new_id=None, name_id="attacker@evil.test", keep_signature=False):
    forged = copy.deepcopy(assertion)
    if not keep_signature:
        for sig in forged.findall("ds:Signature", NS):
            forged.remove(sig)
    forged.set("ID", new_id if new_id is not None else "_forged" + uuid.uuid4().hex)
    forged.find("saml:Subject/saml:NameID", NS).text = name_id
    return forged


def _extensions(root):
    ext = root.find("samlp:Extensions", NS)
    if ext is None:
        ext = etree.Element(SAMLP + "Extensions")
        anchor = root.find("saml:Issuer", NS)
        if anchor is not None:
            anchor.addnext(ext)
        else:
            root.insert(0, ext)
    return ext


def tamper(signed_xml: bytes, variant: str) -> bytes:
    """What an attacker without the IdP key can do to a genuine signed response."""
    if variant == "doctype":
        body = signed_xml.split(b"?>", 1)[1] if signed_xml.startswith(b"<?xml") else signed_xml
        doctype = b'<!DOCTYPE samlp:Response [<!ENTITY who "attacker@evil.test">]>'
        return b'<?xml version="1.0" encoding="UTF-8"?>' + doctype + body
    root = _parse(signed_xml)
    assertion = root.find("saml:Assertion", NS)
    if variant == "assertion_beside":
        assertion.addnext(_forged_copy(assertion))
    elif variant == "assertion_before":
        assertion.addprevious(_forged_copy(assertion))
    elif variant == "moved_into_extensions":
        # The signed original goes into Extensions; a forged copy with the same ID takes its
        # place, so "#ID" could resolve to either one.
        forged = _forged_copy(assertion, new_id=assertion.get("ID"))
        assertion.addprevious(forged)
        root.remove(assertion)
        _extensions(root).append(assertion)
    elif variant == "moved_into_extensions_unique_id":
        # As above, but the forged copy has its own ID: only one Assertion may exist.
        forged = _forged_copy(assertion)
        assertion.addprevious(forged)
        root.remove(assertion)
        _extensions(root).append(assertion)
    elif variant == "decoy_signature":
        # A second Signature (a copy of the genuine one) as a direct child of the Response:
        # its Reference names the assertion, not the Response it sits in.
        signature = assertion.find("ds:Signature", NS)
        if signature is None:
            signature = root.find("ds:Signature", NS)
        root.find("saml:Issuer", NS).addnext(copy.deepcopy(signature))
    elif variant == "decoy_signature_nested":
        # A copy of the genuine Signature hidden inside the Subject.
        signature = assertion.find("ds:Signature", NS)
        assertion.find("saml:Subject", NS).append(copy.deepcopy(signature))
    elif variant == "response_wrapped":
        # A new unsigned Response carrying the signed original inside Extensions, and a
        # forged assertion of its own.
        outer = etree.Element(SAMLP + "Response", nsmap=root.nsmap)
        for name, value in root.attrib.items():
            outer.set(name, value)
        outer.set("ID", "_outer" + uuid.uuid4().hex)
        outer.append(copy.deepcopy(root.find("saml:Issuer", NS)))
        ext = etree.SubElement(outer, SAMLP + "Extensions")
        outer.append(copy.deepcopy(root.find("samlp:Status", NS)))
        outer.append(_forged_copy(assertion))
        ext.append(root)
        root = outer
    elif variant == "comment_in_nameid":
        name_id = assertion.find("saml:Subject/saml:NameID", NS)
        text = name_id.text
        cut = text.index("@")
        name_id.text = text[:cut]
        comment = etree.Comment("")
        name_id.append(comment)
        comment.tail = text[cut:]
    elif variant == "xpath_transform":
        signature = assertion.find("ds:Signature", NS)
        if signature is None:
            signature = root.find("ds:Signature", NS)
        transforms = signature.find("ds:SignedInfo/ds:Reference/ds:Transforms", NS)
        xpath = etree.SubElement(transforms, DS + "Transform", Algorithm=XPATH)
        etree.SubElement(xpath, DS + "XPath").text = "not(ancestor-or-self::saml:Subject)"
    elif variant == "edited_attribute":
        for value in assertion.iter(SAML + "AttributeValue"):
            if value.text == "compilers":
                value.text = "platform-owners"
    elif variant == "strip_signatures":
        for sig in list(root.iter(DS + "Signature")):
            sig.getparent().remove(sig)
    else:
        raise ValueError(f"unknown variant {variant}")
    return _serialize(root)
