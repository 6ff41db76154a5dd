/*
 * Benchmark peer: C libxmlsec1 (OpenSSL backend) verifying the enveloped signature(s) of a
 * SAML Response, speaking the protocol of crates/saml/examples/verify_bench.rs:
 *
 *   xmlsec1_verify (--xml FILE | --b64 FILE) (--cert FILE | --pubkey FILE)
 *                  [--signed response|assertion|both] [--iterations N] [--at RFC3339]
 *
 * The key is loaded once (xmlSecCryptoAppKeyLoad) and lent to every verification context.
 * Each iteration does what an application
 * on libxmlsec1 does per message: base64-decode (--b64), parse, register the ID attribute of
 * Response and Assertion (xmlAddID), find the ds:Signature children of the Response and of
 * the Assertion, and run xmlSecDSigCtxVerify on each with the trusted key. That is signature
 * verification only: no SAML checks (issuer, audience, time, recipient, XSW shape).
 * Prints elapsed_ns=, iterations=, per_op_ns= on stdout; exits 1 with a message on stderr if
 * any verification fails. --at and --signed are accepted and ignored.
 *
 * Build: gcc -O2 -o xmlsec1_verify xmlsec1_verify.c $(pkg-config --cflags --libs xmlsec1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

static const xmlChar SAMLP_NS[] = "urn:oasis:names:tc:SAML:2.0:protocol";
static const xmlChar SAML_NS[] = "urn:oasis:names:tc:SAML:2.0:assertion";

static void die(const char *message, const char *detail) {
    fprintf(stderr, "xmlsec1_verify: %s%s%s\n", message, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open", path);
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Registers the ID attribute of the element if it is a SAML Response or Assertion. */
static void register_id(xmlDocPtr doc, xmlNodePtr node) {
    if (node->ns == NULL) return;
    int is_response = xmlStrEqual(node->name, BAD_CAST "Response") && xmlStrEqual(node->ns->href, SAMLP_NS);
    int is_assertion = xmlStrEqual(node->name, BAD_CAST "Assertion") && xmlStrEqual(node->ns->href, SAML_NS);
    if (!is_response && !is_assertion) return;
    xmlAttrPtr attr = xmlHasProp(node, BAD_CAST "ID");
    if (attr == NULL) return;
    xmlChar *value = xmlNodeListGetString(doc, attr->children, 1);
    if (value == NULL) return;
    if (xmlGetID(doc, value) == NULL) xmlAddID(NULL, doc, value, attr);
    xmlFree(value);
}

/*
 * The context borrows the key loaded once: the usual xmlSecKeyDuplicate(key) per message (or a
 * keys manager, which duplicates too) costs X509_dup plus an OpenSSL 3 decoder round trip,
 * about 40% of the time per message; borrowing gives libxmlsec1 its best case.
 */
static int verify_signature(xmlNodePtr signature, xmlSecKeyPtr key) {
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) return -1;
    ctx->signKey = key;
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    int ok = xmlSecDSigCtxVerify(ctx, signature) == 0 && ctx->status == xmlSecDSigStatusSucceeded;
    ctx->signKey = NULL; /* borrowed: not freed with the context */
    xmlSecDSigCtxDestroy(ctx);
    return ok ? 1 : 0;
}

/* One message: 1 when every signature found verified (and there was one), else 0. */
static int verify_once(const unsigned char *input, size_t len, int b64, xmlSecKeyPtr key) {
    const unsigned char *xml = input;
    unsigned char *decoded = NULL;
    xmlSecSize xml_len = (xmlSecSize)len;
    if (b64) {
        decoded = malloc(len + 1);
        if (xmlSecBase64Decode_ex(input, decoded, (xmlSecSize)len, &xml_len) < 0) {
            free(decoded);
            return 0;
        }
        xml = decoded;
    }
    xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)xml_len, NULL, NULL, XML_PARSE_NONET);
    free(decoded);
    if (doc == NULL) return 0;
    int signatures = 0, verified = 0;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root != NULL) {
        register_id(doc, root);
        for (xmlNodePtr child = root->children; child != NULL; child = child->next)
            if (child->type == XML_ELEMENT_NODE) register_id(doc, child);
        xmlNodePtr parents[2] = {root, xmlSecFindChild(root, BAD_CAST "Assertion", SAML_NS)};
        for (int i = 0; i < 2; i++) {
            if (parents[i] == NULL) continue;
            xmlNodePtr signature = xmlSecFindChild(parents[i], xmlSecNodeSignature, xmlSecDSigNs);
            if (signature == NULL) continue;
            signatures++;
            verified += verify_signature(signature, key) == 1;
        }
    }
    xmlFreeDoc(doc);
    return signatures > 0 && verified == signatures;
}

static int starts_with(const unsigned char *text, const char *prefix) {
    return strncmp((const char *)text, prefix, strlen(prefix)) == 0;
}

int main(int argc, char **argv) {
    const char *response = NULL, *key_path = NULL;
    int b64 = 0, is_cert = 0;
    long iterations = 1000;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (i + 1 >= argc) die("missing value for", flag);
        const char *value = argv[++i];
        if (!strcmp(flag, "--xml")) response = value, b64 = 0;
        else if (!strcmp(flag, "--b64")) response = value, b64 = 1;
        else if (!strcmp(flag, "--cert")) key_path = value, is_cert = 1;
        else if (!strcmp(flag, "--pubkey")) key_path = value, is_cert = 0;
        else if (!strcmp(flag, "--iterations")) iterations = atol(value);
        else if (!strcmp(flag, "--signed") || !strcmp(flag, "--at")) continue;
        else if (!strcmp(flag, "--metadata")) die("--metadata is not supported; pass --cert", NULL);
        else die("unknown argument", flag);
    }
    if (response == NULL || key_path == NULL || iterations <= 0)
        die("usage: xmlsec1_verify (--xml|--b64) FILE (--cert|--pubkey) FILE [--iterations N]", NULL);

    xmlInitParser();
    LIBXML_TEST_VERSION
    xmlSubstituteEntitiesDefault(1);
    if (xmlSecInit() < 0) die("xmlSecInit failed", NULL);
    if (xmlSecCheckVersion() != 1) die("libxmlsec1 version mismatch", NULL);
    if (xmlSecCryptoAppInit(NULL) < 0) die("xmlSecCryptoAppInit failed", NULL);
    if (xmlSecCryptoInit() < 0) die("xmlSecCryptoInit failed", NULL);
    xmlSecErrorsDefaultCallbackEnableOutput(0);

    size_t key_len;
    unsigned char *key_bytes = read_file(key_path, &key_len);
    xmlSecKeyDataFormat format;
    if (starts_with(key_bytes, "-----BEGIN CERTIFICATE")) format = xmlSecKeyDataFormatCertPem;
    else if (starts_with(key_bytes, "-----BEGIN")) format = xmlSecKeyDataFormatPem;
    else format = is_cert ? xmlSecKeyDataFormatCertDer : xmlSecKeyDataFormatDer;
    free(key_bytes);
    xmlSecKeyPtr key = xmlSecCryptoAppKeyLoad(key_path, format, NULL, NULL, NULL);
    if (key == NULL) die("cannot load key", key_path);

    size_t len;
    unsigned char *input = read_file(response, &len);
    if (!verify_once(input, len, b64, key)) die("signature verification failed", response);

    long failures = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < iterations; i++) failures += !verify_once(input, len, b64, key);
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (failures) {
        fprintf(stderr, "xmlsec1_verify: %ld of %ld iterations failed\n", failures, iterations);
        return 1;
    }
    long long elapsed = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    printf("elapsed_ns=%lld\niterations=%ld\nper_op_ns=%lld\n", elapsed, iterations, elapsed / iterations);

    free(input);
    xmlSecKeyDestroy(key);
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown();
    xmlSecShutdown();
    xmlCleanupParser();
    return 0;
}
