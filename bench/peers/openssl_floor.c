/*
 * The floor: one raw signature verification with OpenSSL (EVP_DigestVerify, a fresh
 * EVP_MD_CTX per call, as any XML-DSig library needs at least), over a message the size of a
 * canonical SAML SignedInfo, with the public key of the given certificate.
 *
 *   openssl_floor --cert CERT.pem --key KEY.pem [--md sha256|sha512] [--iterations N]
 *
 * The private key signs the message once (outside the timing). Prints elapsed_ns=,
 * iterations=, per_op_ns=.
 *
 * Build: gcc -O2 -o openssl_floor openssl_floor.c -lcrypto
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static void die(const char *message) {
    fprintf(stderr, "openssl_floor: %s\n", message);
    exit(1);
}

int main(int argc, char **argv) {
    const char *cert_path = NULL, *key_path = NULL, *md_name = "sha256";
    long iterations = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cert")) cert_path = argv[i + 1];
        else if (!strcmp(argv[i], "--key")) key_path = argv[i + 1];
        else if (!strcmp(argv[i], "--md")) md_name = argv[i + 1];
        else if (!strcmp(argv[i], "--iterations")) iterations = atol(argv[i + 1]);
        else die("unknown argument");
    }
    if (!cert_path || !key_path || iterations <= 0) die("usage: openssl_floor --cert C --key K [--md sha256] [--iterations N]");
    const EVP_MD *md = EVP_get_digestbyname(md_name);
    if (!md) die("unknown digest");

    FILE *f = fopen(cert_path, "r");
    if (!f) die("cannot open certificate");
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    f = fopen(key_path, "r");
    if (!f) die("cannot open key");
    EVP_PKEY *private_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!cert || !private_key) die("cannot read certificate or key");
    EVP_PKEY *public_key = X509_get_pubkey(cert);

    unsigned char message[700];
    for (size_t i = 0; i < sizeof message; i++) message[i] = (unsigned char)('a' + i % 26);
    unsigned char signature[1024];
    size_t signature_len = sizeof signature;
    EVP_MD_CTX *sign_ctx = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(sign_ctx, NULL, md, NULL, private_key) != 1 ||
        EVP_DigestSign(sign_ctx, signature, &signature_len, message, sizeof message) != 1)
        die("signing failed");
    EVP_MD_CTX_free(sign_ctx);

    long failures = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < iterations; i++) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        failures += EVP_DigestVerifyInit(ctx, NULL, md, NULL, public_key) != 1 ||
                    EVP_DigestVerify(ctx, signature, signature_len, message, sizeof message) != 1;
        EVP_MD_CTX_free(ctx);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (failures) die("verification failed");
    long long elapsed = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    printf("elapsed_ns=%lld\niterations=%ld\nper_op_ns=%lld\n", elapsed, iterations, elapsed / iterations);
    return 0;
}
