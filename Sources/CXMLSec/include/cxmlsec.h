/*
 * CXMLSec: the small C surface that Flowgate's SAML service provider needs from libxml2 and
 * libxmlsec1 (OpenSSL backend).
 *
 * This header is deliberately free of Foundation, libxml2 and xmlsec types: Debian's libxml2
 * headers pull in ICU, which clashes with Foundation's ICU when one Swift module imports both.
 * Swift sees only plain C types here. The xmlsec structures are visible through the explicit
 * submodule `CXMLSec.XMLSec` (cxmlsec_xmlsec.h), which only the layout test imports.
 *
 * Everything delicate happens in C (cxmlsec.c): parsing with DTDs, entities and network access
 * off, ID registration, the signature-wrapping structure checks, signature verification with
 * caller-supplied certificates only, and reading text without letting comments split it.
 * Swift applies the policy (issuer, audience, times, InResponseTo, replay) to the facts that
 * come back.
 */
#ifndef CXMLSEC_H
#define CXMLSEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. Zero is success; every failure is negative and names one refusal reason. */
enum {
    CXMLSEC_OK = 0,
    /* The IdP answered with a non-success status; facts hold the status (no assertion read). */
    CXMLSEC_STATUS_NOT_SUCCESS = 1,
    CXMLSEC_ERR_INIT = -1,               /* libxml2/xmlsec could not be initialized */
    CXMLSEC_ERR_TOO_LARGE = -2,          /* input longer than the caller's limit */
    CXMLSEC_ERR_PARSE = -3,              /* not well-formed XML (or over libxml2's limits) */
    CXMLSEC_ERR_DTD = -4,                /* a DOCTYPE, entity or processing instruction */
    CXMLSEC_ERR_ROOT = -5,               /* the root is not the expected element */
    CXMLSEC_ERR_DUPLICATE_ID = -6,       /* two elements share one ID value */
    CXMLSEC_ERR_ASSERTION_COUNT = -7,    /* not exactly one Assertion, or one out of place */
    CXMLSEC_ERR_ENCRYPTED = -8,          /* EncryptedAssertion/EncryptedID: not supported */
    CXMLSEC_ERR_SIGNATURE_PLACEMENT = -9,/* a Signature that is not a direct child of Response/Assertion */
    CXMLSEC_ERR_SIGNATURE_SHAPE = -10,   /* not exactly one Reference to the parent's ID, or a forbidden transform */
    CXMLSEC_ERR_SIGNATURE_INVALID = -11, /* present but not valid under any configured certificate */
    CXMLSEC_ERR_UNSIGNED = -12,          /* neither the Response nor the Assertion is signed */
    CXMLSEC_ERR_CERTIFICATE = -13,       /* a configured certificate could not be loaded */
    CXMLSEC_ERR_UNEXPECTED_CONTENT = -14,/* a comment or element inside a text value (e.g. NameID) */
    CXMLSEC_ERR_STRUCTURE = -15,         /* a required element missing or repeated */
    CXMLSEC_ERR_ALGORITHM = -16,         /* a signature/digest/c14n algorithm outside the allow-list */
    CXMLSEC_ERR_MEMORY = -17,            /* allocation failure */
};

/* Flags for cxmlsec_saml_response_open. */
enum {
    /* Also accept RSA-SHA1 signatures and SHA-1 digests (off by default). */
    CXMLSEC_FLAG_ALLOW_SHA1 = 1u << 0,
};

/* One configured IdP certificate, PEM text ("-----BEGIN CERTIFICATE-----..."). */
typedef struct cxmlsec_certificate {
    const char *pem;
    size_t length;
} cxmlsec_certificate;

/*
 * An ordered list of (key, value) facts read from a document. Keys are fixed ASCII names;
 * values are UTF-8 without NULs. Groups (one SubjectConfirmation, one Attribute, ...) start
 * with a key that names the group and continue with that group's members.
 */
typedef struct cxmlsec_facts cxmlsec_facts;

/* Initializes libxml2 and xmlsec once per process; safe to call from any thread, repeatedly. */
int cxmlsec_initialize(void);

/* sizeof(xmlSecDSigCtx) and two field offsets as the C compiler sees them, for the Swift
 * layout test: a missing -D flag would make Swift's view of the struct differ. */
size_t cxmlsec_sizeof_dsig_ctx(void);
size_t cxmlsec_offsetof_dsig_sign_key(void);
size_t cxmlsec_offsetof_dsig_signed_info_references(void);

/* The libxmlsec1 version the shim was compiled against, e.g. "1.2.37". */
const char *cxmlsec_version(void);

/*
 * Parses and verifies a SAML 2.0 <samlp:Response>.
 *
 * - Refuses documents longer than max_length, with a DOCTYPE, entities or PIs.
 * - Requires exactly one <saml:Assertion>, a direct child of the Response.
 * - Allows a Signature only as a direct child of the Response or of that Assertion; each must
 *   have exactly one Reference whose URI is "#" + its parent's ID, with only the
 *   enveloped-signature and exclusive-c14n transforms, and verify under one of `certificates`
 *   (KeyInfo in the document is never used).
 * - At least one of the two must be signed. Facts are read only from the signed Assertion
 *   (directly signed, or covered by the signed Response) and from the Response.
 *
 * On CXMLSEC_OK or CXMLSEC_STATUS_NOT_SUCCESS, *out receives facts the caller frees with
 * cxmlsec_facts_free. On error *out is NULL.
 */
int cxmlsec_saml_response_open(const char *xml, size_t length, size_t max_length,
                               const cxmlsec_certificate *certificates, size_t certificate_count,
                               unsigned int flags, cxmlsec_facts **out);

/*
 * Reads an IdP's SAML metadata (<md:EntityDescriptor> with an IDPSSODescriptor): entity id,
 * single sign-on locations and signing certificates (base64 DER). The metadata's own signature
 * is not checked: the operator supplies it out of band.
 */
int cxmlsec_metadata_open(const char *xml, size_t length, size_t max_length, cxmlsec_facts **out);

size_t cxmlsec_facts_count(const cxmlsec_facts *facts);
const char *cxmlsec_facts_key(const cxmlsec_facts *facts, size_t index);
const char *cxmlsec_facts_value(const cxmlsec_facts *facts, size_t index);
void cxmlsec_facts_free(cxmlsec_facts *facts);

/*
 * Raw DEFLATE (RFC 1951, no zlib header) for the HTTP-Redirect binding. Writes at most
 * *output_length bytes and sets it to the number written. Returns CXMLSEC_OK, or
 * CXMLSEC_ERR_TOO_LARGE when the output buffer is too small.
 */
int cxmlsec_deflate_raw(const uint8_t *input, size_t input_length, uint8_t *output, size_t *output_length);

/* Upper bound of cxmlsec_deflate_raw's output for input_length bytes. */
size_t cxmlsec_deflate_bound(size_t input_length);

#ifdef __cplusplus
}
#endif

#endif /* CXMLSEC_H */
