/*
 * CXMLSec implementation: SAML response verification and metadata reading over libxml2 and
 * libxmlsec1. See cxmlsec.h for the contract. The structure rules here are the defense against
 * XML signature wrapping: a verifier that accepts "some valid signature somewhere" and a reader
 * that takes "the first Assertion it finds" can be made to disagree about which element was
 * signed. So this file decides, before any cryptography, exactly which elements may be signed
 * and which one is read, and refuses every document that does not have that one shape.
 */
#include "cxmlsec_xmlsec.h"
#include "cxmlsec.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <xmlsec/version.h>

#define NS_PROTOCOL ((const xmlChar *)"urn:oasis:names:tc:SAML:2.0:protocol")
#define NS_ASSERTION ((const xmlChar *)"urn:oasis:names:tc:SAML:2.0:assertion")
#define NS_METADATA ((const xmlChar *)"urn:oasis:names:tc:SAML:2.0:metadata")
#define NS_DSIG ((const xmlChar *)"http://www.w3.org/2000/09/xmldsig#")
#define NS_XENC ((const xmlChar *)"http://www.w3.org/2001/04/xmlenc#")
#define NS_XSI ((const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance")

#define ALG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

/* ------------------------------------------------------------------------------------------
 * Initialization
 * ---------------------------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = CXMLSEC_ERR_INIT;

/* xmlsec reports errors through a callback; the shim turns failures into result codes, so the
 * messages (which can quote document content) are not written to stderr. */
static void quiet_xmlsec_errors(const char *file, int line, const char *func, const char *errorObject,
                                const char *errorSubject, int reason, const char *msg) {
    (void)file; (void)line; (void)func; (void)errorObject; (void)errorSubject; (void)reason; (void)msg;
}

static void quiet_xml_errors(void *ctx, const char *msg, ...) {
    (void)ctx; (void)msg;
}

static void initialize_once(void) {
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet_xml_errors);
    if (xmlSecInit() < 0) return;
    if (xmlSecCheckVersion() != 1) return;
    if (xmlSecCryptoAppInit(NULL) < 0) return;
    if (xmlSecCryptoInit() < 0) return;
    xmlSecErrorsSetCallback(quiet_xmlsec_errors);
    init_result = CXMLSEC_OK;
}

int cxmlsec_initialize(void) {
    pthread_once(&init_once, initialize_once);
    return init_result;
}

size_t cxmlsec_sizeof_dsig_ctx(void) { return sizeof(xmlSecDSigCtx); }
size_t cxmlsec_offsetof_dsig_sign_key(void) { return offsetof(xmlSecDSigCtx, signKey); }
size_t cxmlsec_offsetof_dsig_signed_info_references(void) { return offsetof(xmlSecDSigCtx, signedInfoReferences); }

const char *cxmlsec_version(void) { return XMLSEC_VERSION; }

/* ------------------------------------------------------------------------------------------
 * Facts: a growable list of owned (key, value) strings
 * ---------------------------------------------------------------------------------------- */

struct cxmlsec_facts {
    size_t count;
    size_t capacity;
    char **keys;
    char **values;
};

static cxmlsec_facts *facts_new(void) {
    return calloc(1, sizeof(cxmlsec_facts));
}

size_t cxmlsec_facts_count(const cxmlsec_facts *facts) { return facts ? facts->count : 0; }

const char *cxmlsec_facts_key(const cxmlsec_facts *facts, size_t index) {
    return (facts && index < facts->count) ? facts->keys[index] : NULL;
}

const char *cxmlsec_facts_value(const cxmlsec_facts *facts, size_t index) {
    return (facts && index < facts->count) ? facts->values[index] : NULL;
}

void cxmlsec_facts_free(cxmlsec_facts *facts) {
    if (!facts) return;
    for (size_t i = 0; i < facts->count; i++) {
        free(facts->keys[i]);
        free(facts->values[i]);
    }
    free(facts->keys);
    free(facts->values);
    free(facts);
}

/* Appends a copy of key and value (value may be NULL: stored as ""). */
static int facts_add(cxmlsec_facts *facts, const char *key, const char *value) {
    if (facts->count == facts->capacity) {
        size_t capacity = facts->capacity ? facts->capacity * 2 : 32;
        char **keys = realloc(facts->keys, capacity * sizeof(char *));
        if (!keys) return CXMLSEC_ERR_MEMORY;
        facts->keys = keys;
        char **values = realloc(facts->values, capacity * sizeof(char *));
        if (!values) return CXMLSEC_ERR_MEMORY;
        facts->values = values;
        facts->capacity = capacity;
    }
    char *k = strdup(key);
    char *v = strdup(value ? value : "");
    if (!k || !v) {
        free(k);
        free(v);
        return CXMLSEC_ERR_MEMORY;
    }
    facts->keys[facts->count] = k;
    facts->values[facts->count] = v;
    facts->count++;
    return CXMLSEC_OK;
}

/* Adds an attribute's value as a fact when the attribute is present. */
static int facts_add_attribute(cxmlsec_facts *facts, const char *key, xmlNodePtr node, const char *attribute) {
    xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)attribute);
    if (!value) return CXMLSEC_OK;
    int rc = facts_add(facts, key, (const char *)value);
    xmlFree(value);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * DOM helpers
 * ---------------------------------------------------------------------------------------- */

static int is_element(xmlNodePtr node, const xmlChar *ns, const char *name) {
    return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           xmlStrEqual(node->ns->href, ns) && xmlStrEqual(node->name, (const xmlChar *)name);
}

/* The only child element named ns:name; *out is NULL when absent. A second one is an error:
 * SAML fields read from "the first match" are what wrapping attacks exploit. */
static int only_child(xmlNodePtr parent, const xmlChar *ns, const char *name, xmlNodePtr *out) {
    *out = NULL;
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (is_element(c, ns, name)) {
            if (*out) return CXMLSEC_ERR_STRUCTURE;
            *out = c;
        }
    }
    return CXMLSEC_OK;
}

/*
 * The text of a simple-content element, refusing anything but text and CDATA inside.
 *
 * xmlNodeGetContent would silently skip a comment, and some libraries read only the first
 * text node: "admin@example.com<!---->.evil.test" then reads as "admin@example.com" while the
 * signature (exclusive c14n drops comments) still verifies. Refusing is the safe answer.
 */
static int simple_text(xmlNodePtr node, char **out) {
    *out = NULL;
    xmlChar *text = xmlStrdup((const xmlChar *)"");
    if (!text) return CXMLSEC_ERR_MEMORY;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content) {
                text = xmlStrcat(text, c->content);
                if (!text) return CXMLSEC_ERR_MEMORY;
            }
        } else {
            xmlFree(text);
            return CXMLSEC_ERR_UNEXPECTED_CONTENT;
        }
    }
    *out = strdup((const char *)text);
    xmlFree(text);
    return *out ? CXMLSEC_OK : CXMLSEC_ERR_MEMORY;
}

static int facts_add_text(cxmlsec_facts *facts, const char *key, xmlNodePtr node) {
    char *text = NULL;
    int rc = simple_text(node, &text);
    if (rc != CXMLSEC_OK) return rc;
    rc = facts_add(facts, key, text);
    free(text);
    return rc;
}

/* Refuses DOCTYPEs, entity references and processing instructions anywhere in the tree. */
static int check_no_dtd(xmlDocPtr doc) {
    if (doc->intSubset || doc->extSubset) return CXMLSEC_ERR_DTD;
    xmlNodePtr node = doc->children;
    while (node) {
        switch (node->type) {
        case XML_DTD_NODE:
        case XML_ENTITY_REF_NODE:
        case XML_ENTITY_NODE:
        case XML_ENTITY_DECL:
        case XML_PI_NODE:
            return CXMLSEC_ERR_DTD;
        default:
            break;
        }
        /* Depth-first walk without recursion. */
        if (node->type == XML_ELEMENT_NODE && node->children) {
            node = node->children;
            continue;
        }
        while (node && !node->next) {
            node = node->parent;
            if (node == (xmlNodePtr)doc) node = NULL;
        }
        if (node) node = node->next;
    }
    return CXMLSEC_OK;
}

/* Parses with network access, DTD loading and entity substitution off. */
static int parse(const char *xml, size_t length, size_t max_length, xmlDocPtr *out) {
    *out = NULL;
    if (length > max_length || length > (size_t)INT32_MAX) return CXMLSEC_ERR_TOO_LARGE;
    int rc = cxmlsec_initialize();
    if (rc != CXMLSEC_OK) return rc;
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlReadMemory(xml, (int)length, "saml.xml", NULL, options);
    if (!doc) return CXMLSEC_ERR_PARSE;
    rc = check_no_dtd(doc);
    if (rc != CXMLSEC_OK) {
        xmlFreeDoc(doc);
        return rc;
    }
    *out = doc;
    return CXMLSEC_OK;
}

/*
 * Registers every element's unqualified "ID" attribute as an XML ID (what "#id" references
 * resolve through), refusing duplicates. With unique IDs, a forged copy of a signed element
 * under the same ID cannot exist beside the original.
 */
static int register_ids(xmlDocPtr doc, xmlNodePtr node) {
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        xmlAttrPtr attr = xmlHasNsProp(node, (const xmlChar *)"ID", NULL);
        if (attr) {
            xmlChar *value = xmlNodeListGetString(doc, attr->children, 1);
            if (!value) return CXMLSEC_ERR_STRUCTURE;
            if (xmlGetID(doc, value) != NULL) {
                xmlFree(value);
                return CXMLSEC_ERR_DUPLICATE_ID;
            }
            xmlIDPtr id = xmlAddID(NULL, doc, value, attr);
            xmlFree(value);
            if (!id) return CXMLSEC_ERR_DUPLICATE_ID;
        }
        int rc = register_ids(doc, node->children);
        if (rc != CXMLSEC_OK) return rc;
    }
    return CXMLSEC_OK;
}

/* Counts elements ns:name anywhere below (and including) node. */
static size_t count_elements(xmlNodePtr node, const xmlChar *ns, const char *name) {
    size_t n = 0;
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        if (is_element(node, ns, name)) n++;
        n += count_elements(node->children, ns, name);
    }
    return n;
}

/* ------------------------------------------------------------------------------------------
 * Signatures
 * ---------------------------------------------------------------------------------------- */

/*
 * Checks a <ds:Signature> before any cryptography: exactly one Reference in SignedInfo, whose
 * URI is "#" + the parent element's ID, and whose transforms are only enveloped-signature and
 * exclusive c14n (no XPath, XSLT or inclusive c14n tricks).
 */
static int check_signature_shape(xmlNodePtr signature, xmlNodePtr parent) {
    xmlNodePtr signedInfo = NULL;
    int rc = only_child(signature, NS_DSIG, "SignedInfo", &signedInfo);
    if (rc != CXMLSEC_OK || !signedInfo) return CXMLSEC_ERR_SIGNATURE_SHAPE;

    xmlNodePtr reference = NULL;
    rc = only_child(signedInfo, NS_DSIG, "Reference", &reference);
    if (rc != CXMLSEC_OK || !reference) return CXMLSEC_ERR_SIGNATURE_SHAPE;

    xmlChar *parentID = xmlGetNoNsProp(parent, (const xmlChar *)"ID");
    xmlChar *uri = xmlGetNoNsProp(reference, (const xmlChar *)"URI");
    int uriMatches = parentID && uri && uri[0] == '#' && xmlStrEqual(uri + 1, parentID) && parentID[0] != '\0';
    xmlFree(parentID);
    xmlFree(uri);
    if (!uriMatches) return CXMLSEC_ERR_SIGNATURE_SHAPE;

    xmlNodePtr transforms = NULL;
    rc = only_child(reference, NS_DSIG, "Transforms", &transforms);
    if (rc != CXMLSEC_OK) return CXMLSEC_ERR_SIGNATURE_SHAPE;
    if (transforms) {
        for (xmlNodePtr t = transforms->children; t; t = t->next) {
            if (t->type != XML_ELEMENT_NODE) continue;
            if (!is_element(t, NS_DSIG, "Transform")) return CXMLSEC_ERR_SIGNATURE_SHAPE;
            xmlChar *algorithm = xmlGetNoNsProp(t, (const xmlChar *)"Algorithm");
            int allowed = algorithm && (xmlStrEqual(algorithm, (const xmlChar *)ALG_ENVELOPED) ||
                                        xmlStrEqual(algorithm, (const xmlChar *)ALG_EXC_C14N));
            xmlFree(algorithm);
            if (!allowed) return CXMLSEC_ERR_ALGORITHM;
        }
    }
    return CXMLSEC_OK;
}

/* Builds a verification context that accepts only the allow-listed algorithms. */
static xmlSecDSigCtxPtr make_dsig_ctx(xmlSecKeyPtr key, unsigned int flags) {
    /* No keys manager: KeyInfo in the document can never supply a key. */
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (!ctx) return NULL;
    ctx->signKey = xmlSecKeyDuplicate(key);
    if (!ctx->signKey) {
        xmlSecDSigCtxDestroy(ctx);
        return NULL;
    }
    ctx->flags = XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
    /* Only "#id" references into this document: no empty URI, files or network. */
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;

    int failed = 0;
    /* Transforms and digests inside a Reference. */
    failed |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0;
    failed |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId) < 0;
    failed |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id) < 0;
    failed |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha384Id) < 0;
    failed |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha512Id) < 0;
    /* Canonicalization and signature methods of SignedInfo. */
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) < 0;
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha256Id) < 0;
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha384Id) < 0;
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha512Id) < 0;
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformEcdsaSha256Id) < 0;
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformEcdsaSha384Id) < 0;
    failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformEcdsaSha512Id) < 0;
    if (flags & CXMLSEC_FLAG_ALLOW_SHA1) {
        failed |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha1Id) < 0;
        failed |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha1Id) < 0;
    }
    if (failed) {
        xmlSecDSigCtxDestroy(ctx);
        return NULL;
    }
    return ctx;
}

/* Whether the SignedInfo's algorithms are all on the allow-list (checked before verifying so
 * that a refusal says "algorithm" rather than "invalid"). */
static int check_algorithms(xmlNodePtr signature, unsigned int flags) {
    static const char *signatureMethods[] = {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    };
    static const char *digestMethods[] = {
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
    };
    xmlNodePtr signedInfo = NULL, c14n = NULL, method = NULL, reference = NULL, digest = NULL;
    if (only_child(signature, NS_DSIG, "SignedInfo", &signedInfo) != CXMLSEC_OK || !signedInfo) return CXMLSEC_ERR_SIGNATURE_SHAPE;
    if (only_child(signedInfo, NS_DSIG, "CanonicalizationMethod", &c14n) != CXMLSEC_OK || !c14n) return CXMLSEC_ERR_SIGNATURE_SHAPE;
    if (only_child(signedInfo, NS_DSIG, "SignatureMethod", &method) != CXMLSEC_OK || !method) return CXMLSEC_ERR_SIGNATURE_SHAPE;
    if (only_child(signedInfo, NS_DSIG, "Reference", &reference) != CXMLSEC_OK || !reference) return CXMLSEC_ERR_SIGNATURE_SHAPE;
    if (only_child(reference, NS_DSIG, "DigestMethod", &digest) != CXMLSEC_OK || !digest) return CXMLSEC_ERR_SIGNATURE_SHAPE;

    int ok = 1;
    xmlChar *a = xmlGetNoNsProp(c14n, (const xmlChar *)"Algorithm");
    ok &= a && xmlStrEqual(a, (const xmlChar *)ALG_EXC_C14N);
    xmlFree(a);

    a = xmlGetNoNsProp(method, (const xmlChar *)"Algorithm");
    int found = 0;
    for (size_t i = 0; a && i < sizeof(signatureMethods) / sizeof(*signatureMethods); i++)
        found |= xmlStrEqual(a, (const xmlChar *)signatureMethods[i]);
    if (a && (flags & CXMLSEC_FLAG_ALLOW_SHA1))
        found |= xmlStrEqual(a, (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#rsa-sha1");
    ok &= found;
    xmlFree(a);

    a = xmlGetNoNsProp(digest, (const xmlChar *)"Algorithm");
    found = 0;
    for (size_t i = 0; a && i < sizeof(digestMethods) / sizeof(*digestMethods); i++)
        found |= xmlStrEqual(a, (const xmlChar *)digestMethods[i]);
    if (a && (flags & CXMLSEC_FLAG_ALLOW_SHA1))
        found |= xmlStrEqual(a, (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#sha1");
    ok &= found;
    xmlFree(a);
    return ok ? CXMLSEC_OK : CXMLSEC_ERR_ALGORITHM;
}

/* Checks shape and algorithms of a signature (no cryptography). */
static int check_signature(xmlNodePtr signature, xmlNodePtr parent, unsigned int flags) {
    int rc = check_signature_shape(signature, parent);
    if (rc != CXMLSEC_OK) return rc;
    return check_algorithms(signature, flags);
}

/* Verifies one Signature (already shape-checked) under any of the keys. Returns CXMLSEC_OK
 * when one key verifies. */
static int verify_signature(xmlNodePtr signature, xmlSecKeyPtr *keys, size_t keyCount, unsigned int flags) {
    for (size_t i = 0; i < keyCount; i++) {
        xmlSecDSigCtxPtr ctx = make_dsig_ctx(keys[i], flags);
        if (!ctx) return CXMLSEC_ERR_MEMORY;
        int verified = xmlSecDSigCtxVerify(ctx, signature) >= 0 && ctx->status == xmlSecDSigStatusSucceeded &&
                       xmlSecPtrListGetSize(&ctx->signedInfoReferences) == 1;
        xmlSecDSigCtxDestroy(ctx);
        if (verified) return CXMLSEC_OK;
    }
    return CXMLSEC_ERR_SIGNATURE_INVALID;
}

/* Every ds:Signature in the document must be a direct child of one of the allowed parents. */
static int check_signature_placement(xmlNodePtr node, xmlNodePtr response, xmlNodePtr assertion) {
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        if (is_element(node, NS_DSIG, "Signature")) {
            if (node->parent != response && node->parent != assertion) return CXMLSEC_ERR_SIGNATURE_PLACEMENT;
            /* A signature's own subtree holds no further signatures. */
            if (count_elements(node->children, NS_DSIG, "Signature") != 0) return CXMLSEC_ERR_SIGNATURE_PLACEMENT;
            continue;
        }
        int rc = check_signature_placement(node->children, response, assertion);
        if (rc != CXMLSEC_OK) return rc;
    }
    return CXMLSEC_OK;
}

static void free_keys(xmlSecKeyPtr *keys, size_t count) {
    if (!keys) return;
    for (size_t i = 0; i < count; i++)
        if (keys[i]) xmlSecKeyDestroy(keys[i]);
    free(keys);
}

static int load_keys(const cxmlsec_certificate *certificates, size_t count, xmlSecKeyPtr **out) {
    *out = NULL;
    if (count == 0) return CXMLSEC_ERR_CERTIFICATE;
    xmlSecKeyPtr *keys = calloc(count, sizeof(xmlSecKeyPtr));
    if (!keys) return CXMLSEC_ERR_MEMORY;
    for (size_t i = 0; i < count; i++) {
        if (!certificates[i].pem || certificates[i].length == 0 || certificates[i].length > UINT32_MAX) {
            free_keys(keys, count);
            return CXMLSEC_ERR_CERTIFICATE;
        }
        keys[i] = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)certificates[i].pem,
                                               (xmlSecSize)certificates[i].length,
                                               xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
        if (!keys[i]) {
            free_keys(keys, count);
            return CXMLSEC_ERR_CERTIFICATE;
        }
    }
    *out = keys;
    return CXMLSEC_OK;
}

/* ------------------------------------------------------------------------------------------
 * Reading the facts
 * ---------------------------------------------------------------------------------------- */

static int read_status(cxmlsec_facts *facts, xmlNodePtr response, int *success) {
    *success = 0;
    xmlNodePtr status = NULL, code = NULL, sub = NULL, message = NULL;
    int rc = only_child(response, NS_PROTOCOL, "Status", &status);
    if (rc != CXMLSEC_OK || !status) return CXMLSEC_ERR_STRUCTURE;
    rc = only_child(status, NS_PROTOCOL, "StatusCode", &code);
    if (rc != CXMLSEC_OK || !code) return CXMLSEC_ERR_STRUCTURE;
    xmlChar *value = xmlGetNoNsProp(code, (const xmlChar *)"Value");
    if (!value) return CXMLSEC_ERR_STRUCTURE;
    *success = xmlStrEqual(value, (const xmlChar *)"urn:oasis:names:tc:SAML:2.0:status:Success");
    rc = facts_add(facts, "status.code", (const char *)value);
    xmlFree(value);
    if (rc != CXMLSEC_OK) return rc;
    if (only_child(code, NS_PROTOCOL, "StatusCode", &sub) == CXMLSEC_OK && sub) {
        rc = facts_add_attribute(facts, "status.subcode", sub, "Value");
        if (rc != CXMLSEC_OK) return rc;
    }
    if (only_child(status, NS_PROTOCOL, "StatusMessage", &message) == CXMLSEC_OK && message) {
        char *text = NULL;
        if (simple_text(message, &text) == CXMLSEC_OK) {
            rc = facts_add(facts, "status.message", text);
            free(text);
            if (rc != CXMLSEC_OK) return rc;
        }
    }
    return CXMLSEC_OK;
}

static int read_issuer(cxmlsec_facts *facts, const char *key, xmlNodePtr parent, int required) {
    xmlNodePtr issuer = NULL;
    int rc = only_child(parent, NS_ASSERTION, "Issuer", &issuer);
    if (rc != CXMLSEC_OK) return rc;
    if (!issuer) return required ? CXMLSEC_ERR_STRUCTURE : CXMLSEC_OK;
    return facts_add_text(facts, key, issuer);
}

static int read_subject(cxmlsec_facts *facts, xmlNodePtr assertion) {
    xmlNodePtr subject = NULL, nameID = NULL, encrypted = NULL;
    int rc = only_child(assertion, NS_ASSERTION, "Subject", &subject);
    if (rc != CXMLSEC_OK || !subject) return CXMLSEC_ERR_STRUCTURE;
    if (only_child(subject, NS_ASSERTION, "EncryptedID", &encrypted) != CXMLSEC_OK || encrypted) return CXMLSEC_ERR_ENCRYPTED;
    rc = only_child(subject, NS_ASSERTION, "NameID", &nameID);
    if (rc != CXMLSEC_OK || !nameID) return CXMLSEC_ERR_STRUCTURE;
    if ((rc = facts_add_text(facts, "nameid", nameID)) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "nameid.format", nameID, "Format")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "nameid.spnamequalifier", nameID, "SPNameQualifier")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "nameid.namequalifier", nameID, "NameQualifier")) != CXMLSEC_OK) return rc;

    for (xmlNodePtr c = subject->children; c; c = c->next) {
        if (!is_element(c, NS_ASSERTION, "SubjectConfirmation")) continue;
        xmlChar *method = xmlGetNoNsProp(c, (const xmlChar *)"Method");
        rc = facts_add(facts, "confirmation", (const char *)method);
        xmlFree(method);
        if (rc != CXMLSEC_OK) return rc;
        xmlNodePtr data = NULL;
        rc = only_child(c, NS_ASSERTION, "SubjectConfirmationData", &data);
        if (rc != CXMLSEC_OK) return rc;
        if (!data) continue;
        if ((rc = facts_add_attribute(facts, "confirmation.recipient", data, "Recipient")) != CXMLSEC_OK) return rc;
        if ((rc = facts_add_attribute(facts, "confirmation.notonorafter", data, "NotOnOrAfter")) != CXMLSEC_OK) return rc;
        if ((rc = facts_add_attribute(facts, "confirmation.notbefore", data, "NotBefore")) != CXMLSEC_OK) return rc;
        if ((rc = facts_add_attribute(facts, "confirmation.inresponseto", data, "InResponseTo")) != CXMLSEC_OK) return rc;
    }
    return CXMLSEC_OK;
}

static int read_conditions(cxmlsec_facts *facts, xmlNodePtr assertion) {
    xmlNodePtr conditions = NULL;
    int rc = only_child(assertion, NS_ASSERTION, "Conditions", &conditions);
    if (rc != CXMLSEC_OK) return rc;
    if (!conditions) return CXMLSEC_OK;
    if ((rc = facts_add(facts, "conditions", "1")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "conditions.notbefore", conditions, "NotBefore")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "conditions.notonorafter", conditions, "NotOnOrAfter")) != CXMLSEC_OK) return rc;
    for (xmlNodePtr c = conditions->children; c; c = c->next) {
        if (!is_element(c, NS_ASSERTION, "AudienceRestriction")) continue;
        if ((rc = facts_add(facts, "audiencerestriction", "1")) != CXMLSEC_OK) return rc;
        for (xmlNodePtr a = c->children; a; a = a->next) {
            if (!is_element(a, NS_ASSERTION, "Audience")) continue;
            if ((rc = facts_add_text(facts, "audience", a)) != CXMLSEC_OK) return rc;
        }
    }
    return CXMLSEC_OK;
}

static int read_authn_statement(cxmlsec_facts *facts, xmlNodePtr assertion) {
    for (xmlNodePtr c = assertion->children; c; c = c->next) {
        if (!is_element(c, NS_ASSERTION, "AuthnStatement")) continue;
        int rc;
        if ((rc = facts_add(facts, "authn", "1")) != CXMLSEC_OK) return rc;
        if ((rc = facts_add_attribute(facts, "authn.instant", c, "AuthnInstant")) != CXMLSEC_OK) return rc;
        if ((rc = facts_add_attribute(facts, "authn.sessionindex", c, "SessionIndex")) != CXMLSEC_OK) return rc;
        if ((rc = facts_add_attribute(facts, "authn.sessionnotonorafter", c, "SessionNotOnOrAfter")) != CXMLSEC_OK) return rc;
    }
    return CXMLSEC_OK;
}

static int read_attributes(cxmlsec_facts *facts, xmlNodePtr assertion) {
    for (xmlNodePtr statement = assertion->children; statement; statement = statement->next) {
        if (is_element(statement, NS_ASSERTION, "EncryptedAttribute")) return CXMLSEC_ERR_ENCRYPTED;
        if (!is_element(statement, NS_ASSERTION, "AttributeStatement")) continue;
        for (xmlNodePtr attribute = statement->children; attribute; attribute = attribute->next) {
            if (is_element(attribute, NS_ASSERTION, "EncryptedAttribute")) return CXMLSEC_ERR_ENCRYPTED;
            if (!is_element(attribute, NS_ASSERTION, "Attribute")) continue;
            int rc;
            xmlChar *name = xmlGetNoNsProp(attribute, (const xmlChar *)"Name");
            if (!name) return CXMLSEC_ERR_STRUCTURE;
            rc = facts_add(facts, "attribute", (const char *)name);
            xmlFree(name);
            if (rc != CXMLSEC_OK) return rc;
            if ((rc = facts_add_attribute(facts, "attribute.friendlyname", attribute, "FriendlyName")) != CXMLSEC_OK) return rc;
            for (xmlNodePtr value = attribute->children; value; value = value->next) {
                if (!is_element(value, NS_ASSERTION, "AttributeValue")) continue;
                xmlChar *nil = xmlGetNsProp(value, (const xmlChar *)"nil", NS_XSI);
                int isNil = nil && (xmlStrEqual(nil, (const xmlChar *)"true") || xmlStrEqual(nil, (const xmlChar *)"1"));
                xmlFree(nil);
                if (isNil) continue;
                if ((rc = facts_add_text(facts, "attribute.value", value)) != CXMLSEC_OK) return rc;
            }
        }
    }
    return CXMLSEC_OK;
}

/* ------------------------------------------------------------------------------------------
 * Response
 * ---------------------------------------------------------------------------------------- */

static int open_response(xmlDocPtr doc, const cxmlsec_certificate *certificates, size_t certificateCount,
                         unsigned int flags, cxmlsec_facts *facts) {
    xmlNodePtr response = xmlDocGetRootElement(doc);
    if (!is_element(response, NS_PROTOCOL, "Response")) return CXMLSEC_ERR_ROOT;

    int rc = register_ids(doc, response);
    if (rc != CXMLSEC_OK) return rc;

    if ((rc = facts_add_attribute(facts, "response.id", response, "ID")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "response.version", response, "Version")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "response.destination", response, "Destination")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "response.inresponseto", response, "InResponseTo")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "response.issueinstant", response, "IssueInstant")) != CXMLSEC_OK) return rc;
    if ((rc = read_issuer(facts, "response.issuer", response, 0)) != CXMLSEC_OK) return rc;

    int success = 0;
    if ((rc = read_status(facts, response, &success)) != CXMLSEC_OK) return rc;
    if (!success) return CXMLSEC_STATUS_NOT_SUCCESS;

    /* Exactly one assertion in the whole document, and it is the Response's child. An assertion
     * anywhere else (Extensions, Advice, inside another element) is a wrapping attempt. */
    if (count_elements(response, NS_ASSERTION, "EncryptedAssertion") != 0) return CXMLSEC_ERR_ENCRYPTED;
    if (count_elements(response, NS_ASSERTION, "Assertion") != 1) return CXMLSEC_ERR_ASSERTION_COUNT;
    xmlNodePtr assertion = NULL;
    rc = only_child(response, NS_ASSERTION, "Assertion", &assertion);
    if (rc != CXMLSEC_OK || !assertion) return CXMLSEC_ERR_ASSERTION_COUNT;

    rc = check_signature_placement(response->children, response, assertion);
    if (rc != CXMLSEC_OK) return rc;
    xmlNodePtr responseSignature = NULL, assertionSignature = NULL;
    if (only_child(response, NS_DSIG, "Signature", &responseSignature) != CXMLSEC_OK) return CXMLSEC_ERR_SIGNATURE_PLACEMENT;
    if (only_child(assertion, NS_DSIG, "Signature", &assertionSignature) != CXMLSEC_OK) return CXMLSEC_ERR_SIGNATURE_PLACEMENT;
    if (!responseSignature && !assertionSignature) return CXMLSEC_ERR_UNSIGNED;

    /* Structure and algorithms of every signature first, then cryptography. */
    if (responseSignature && (rc = check_signature(responseSignature, response, flags)) != CXMLSEC_OK) return rc;
    if (assertionSignature && (rc = check_signature(assertionSignature, assertion, flags)) != CXMLSEC_OK) return rc;

    xmlSecKeyPtr *keys = NULL;
    rc = load_keys(certificates, certificateCount, &keys);
    if (rc != CXMLSEC_OK) return rc;
    /* Every signature present must verify: a valid one beside an invalid one is refused. */
    if (responseSignature) rc = verify_signature(responseSignature, keys, certificateCount, flags);
    if (rc == CXMLSEC_OK && assertionSignature) rc = verify_signature(assertionSignature, keys, certificateCount, flags);
    free_keys(keys, certificateCount);
    if (rc != CXMLSEC_OK) return rc;

    if ((rc = facts_add(facts, "response.signed", responseSignature ? "1" : "0")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add(facts, "assertion.signed", assertionSignature ? "1" : "0")) != CXMLSEC_OK) return rc;

    /* From here on every fact comes from the one verified assertion. */
    if ((rc = facts_add_attribute(facts, "assertion.id", assertion, "ID")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "assertion.version", assertion, "Version")) != CXMLSEC_OK) return rc;
    if ((rc = facts_add_attribute(facts, "assertion.issueinstant", assertion, "IssueInstant")) != CXMLSEC_OK) return rc;
    if ((rc = read_issuer(facts, "assertion.issuer", assertion, 1)) != CXMLSEC_OK) return rc;
    if ((rc = read_subject(facts, assertion)) != CXMLSEC_OK) return rc;
    if ((rc = read_conditions(facts, assertion)) != CXMLSEC_OK) return rc;
    if ((rc = read_authn_statement(facts, assertion)) != CXMLSEC_OK) return rc;
    if ((rc = read_attributes(facts, assertion)) != CXMLSEC_OK) return rc;
    return CXMLSEC_OK;
}

int cxmlsec_saml_response_open(const char *xml, size_t length, size_t max_length,
                               const cxmlsec_certificate *certificates, size_t certificate_count,
                               unsigned int flags, cxmlsec_facts **out) {
    *out = NULL;
    xmlDocPtr doc = NULL;
    int rc = parse(xml, length, max_length, &doc);
    if (rc != CXMLSEC_OK) return rc;
    cxmlsec_facts *facts = facts_new();
    if (!facts) {
        xmlFreeDoc(doc);
        return CXMLSEC_ERR_MEMORY;
    }
    rc = open_response(doc, certificates, certificate_count, flags, facts);
    xmlFreeDoc(doc);
    if (rc == CXMLSEC_OK || rc == CXMLSEC_STATUS_NOT_SUCCESS) {
        *out = facts;
    } else {
        cxmlsec_facts_free(facts);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Metadata
 * ---------------------------------------------------------------------------------------- */

/* Base64 text with all whitespace removed. */
static int facts_add_base64(cxmlsec_facts *facts, const char *key, xmlNodePtr node) {
    char *text = NULL;
    int rc = simple_text(node, &text);
    if (rc != CXMLSEC_OK) return rc;
    size_t j = 0;
    for (size_t i = 0; text[i]; i++)
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t') text[j++] = text[i];
    text[j] = '\0';
    rc = facts_add(facts, key, text);
    free(text);
    return rc;
}

static int read_key_descriptors(cxmlsec_facts *facts, xmlNodePtr descriptor) {
    for (xmlNodePtr kd = descriptor->children; kd; kd = kd->next) {
        if (!is_element(kd, NS_METADATA, "KeyDescriptor")) continue;
        xmlChar *use = xmlGetNoNsProp(kd, (const xmlChar *)"use");
        int signing = !use || xmlStrEqual(use, (const xmlChar *)"signing");
        xmlFree(use);
        if (!signing) continue;
        xmlNodePtr keyInfo = NULL, x509Data = NULL;
        if (only_child(kd, NS_DSIG, "KeyInfo", &keyInfo) != CXMLSEC_OK || !keyInfo) continue;
        if (only_child(keyInfo, NS_DSIG, "X509Data", &x509Data) != CXMLSEC_OK || !x509Data) continue;
        for (xmlNodePtr cert = x509Data->children; cert; cert = cert->next) {
            if (!is_element(cert, NS_DSIG, "X509Certificate")) continue;
            int rc = facts_add_base64(facts, "signing.certificate", cert);
            if (rc != CXMLSEC_OK) return rc;
        }
    }
    return CXMLSEC_OK;
}

int cxmlsec_metadata_open(const char *xml, size_t length, size_t max_length, cxmlsec_facts **out) {
    *out = NULL;
    xmlDocPtr doc = NULL;
    int rc = parse(xml, length, max_length, &doc);
    if (rc != CXMLSEC_OK) return rc;
    cxmlsec_facts *facts = facts_new();
    if (!facts) {
        xmlFreeDoc(doc);
        return CXMLSEC_ERR_MEMORY;
    }
    xmlNodePtr entity = xmlDocGetRootElement(doc);
    xmlNodePtr idp = NULL;
    if (!is_element(entity, NS_METADATA, "EntityDescriptor")) {
        rc = CXMLSEC_ERR_ROOT;
    } else if ((rc = only_child(entity, NS_METADATA, "IDPSSODescriptor", &idp)) == CXMLSEC_OK && !idp) {
        rc = CXMLSEC_ERR_STRUCTURE;
    }
    if (rc == CXMLSEC_OK) rc = facts_add_attribute(facts, "entityid", entity, "entityID");
    if (rc == CXMLSEC_OK) rc = facts_add_attribute(facts, "want.authn.signed", idp, "WantAuthnRequestsSigned");
    if (rc == CXMLSEC_OK) rc = read_key_descriptors(facts, idp);
    for (xmlNodePtr sso = idp ? idp->children : NULL; rc == CXMLSEC_OK && sso; sso = sso->next) {
        if (!is_element(sso, NS_METADATA, "SingleSignOnService")) continue;
        xmlChar *binding = xmlGetNoNsProp(sso, (const xmlChar *)"Binding");
        const char *key = NULL;
        if (binding && xmlStrEqual(binding, (const xmlChar *)"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")) key = "sso.redirect";
        if (binding && xmlStrEqual(binding, (const xmlChar *)"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")) key = "sso.post";
        xmlFree(binding);
        if (key) rc = facts_add_attribute(facts, key, sso, "Location");
    }
    xmlFreeDoc(doc);
    if (rc != CXMLSEC_OK) {
        cxmlsec_facts_free(facts);
        return rc;
    }
    *out = facts;
    return CXMLSEC_OK;
}

/* ------------------------------------------------------------------------------------------
 * DEFLATE for the HTTP-Redirect binding
 * ---------------------------------------------------------------------------------------- */

size_t cxmlsec_deflate_bound(size_t input_length) {
    /* zlib's bound for raw deflate, plus slack for the stream end. */
    return input_length + input_length / 1000 + 64;
}

int cxmlsec_deflate_raw(const uint8_t *input, size_t input_length, uint8_t *output, size_t *output_length) {
    if (input_length > UINT32_MAX || *output_length > UINT32_MAX) return CXMLSEC_ERR_TOO_LARGE;
    z_stream stream;
    memset(&stream, 0, sizeof(stream));
    /* Negative window bits: raw DEFLATE without the zlib header, as SAML's binding requires. */
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return CXMLSEC_ERR_MEMORY;
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)input_length;
    stream.next_out = output;
    stream.avail_out = (uInt)*output_length;
    int z = deflate(&stream, Z_FINISH);
    size_t written = *output_length - stream.avail_out;
    deflateEnd(&stream);
    if (z != Z_STREAM_END) return CXMLSEC_ERR_TOO_LARGE;
    *output_length = written;
    return CXMLSEC_OK;
}
