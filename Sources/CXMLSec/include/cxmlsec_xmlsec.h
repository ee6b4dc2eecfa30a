/*
 * The xmlsec headers with the configuration that pkg-config would have passed as -D flags.
 *
 * SwiftPM drops pkg-config's -D flags, and several of them change struct layouts (xmlSecSize
 * is an unsigned int instead of size_t under XMLSEC_NO_SIZE_T), so every file that includes
 * xmlsec must include this header first. Swift reaches it only as the explicit submodule
 * `CXMLSec.XMLSec`, imported by the layout test: it pulls in libxml2 (and with it ICU).
 */
#ifndef CXMLSEC_XMLSEC_H
#define CXMLSEC_XMLSEC_H

#ifndef XMLSEC_NO_SIZE_T
#define XMLSEC_NO_SIZE_T 1
#endif
#ifndef XMLSEC_CRYPTO_OPENSSL
#define XMLSEC_CRYPTO_OPENSSL 1
#endif
#ifndef XMLSEC_NO_CRYPTO_DYNAMIC_LOADING
#define XMLSEC_NO_CRYPTO_DYNAMIC_LOADING 1
#endif
#ifndef XMLSEC_OPENSSL3_ENGINES
#define XMLSEC_OPENSSL3_ENGINES 1
#endif
#ifndef XMLSEC_NO_GOST
#define XMLSEC_NO_GOST 1
#endif
#ifndef XMLSEC_NO_GOST2012
#define XMLSEC_NO_GOST2012 1
#endif
#ifndef __XMLSEC_FUNCTION__
#define __XMLSEC_FUNCTION__ __func__
#endif

#include <libxml/tree.h>
#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/transforms.h>
#include <xmlsec/keys.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>

#endif /* CXMLSEC_XMLSEC_H */
