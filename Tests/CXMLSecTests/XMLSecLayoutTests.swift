import CXMLSec
import CXMLSec.XMLSec
import Testing

/// Its own target: importing `CXMLSec.XMLSec` pulls in libxml2 and with it the system ICU, which
/// clashes with Foundation's ICU in any module that also imports Foundation (STYLE 23).

@Suite("CXMLSec shim")
struct XMLSecLayoutTests {
    @Test("Swift sees xmlSecDSigCtx with the same layout as C (the -D flags are in the header)")
    func dsigContextLayout() {
        #expect(MemoryLayout<xmlSecDSigCtx>.size == cxmlsec_sizeof_dsig_ctx())
        #expect(MemoryLayout<xmlSecDSigCtx>.offset(of: \.signKey) == cxmlsec_offsetof_dsig_sign_key())
        #expect(MemoryLayout<xmlSecDSigCtx>.offset(of: \.signedInfoReferences) == cxmlsec_offsetof_dsig_signed_info_references())
    }

    @Test("libxmlsec1 initializes with the OpenSSL backend")
    func initializes() {
        #expect(cxmlsec_initialize() == Int32(CXMLSEC_OK))
        #expect(String(cString: cxmlsec_version()).hasPrefix("1."))
    }
}
