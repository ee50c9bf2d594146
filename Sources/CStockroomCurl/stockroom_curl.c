// SMTP through libcurl (DESIGN.md: no hand-written SMTP). After libcurl's smtp-mime.c
// example: the message is built with curl's MIME API, which writes the multipart body,
// the transfer encodings and the boundaries.
#include "stockroom_curl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }
void stockroom_curl_global_init(void) { pthread_once(&once, init_once); }

typedef struct {
    char *buffer;
    size_t capacity;
    size_t used;
} transcript_t;

// Keeps what the server said (CURLINFO_HEADER_IN: its reply lines), never what we sent,
// so no password or message body reaches the log.
static int on_debug(CURL *handle, curl_infotype type, char *data, size_t size, void *user) {
    (void)handle;
    transcript_t *transcript = user;
    if (type != CURLINFO_HEADER_IN || transcript->used + 1 >= transcript->capacity) return 0;
    size_t room = transcript->capacity - transcript->used - 1;
    size_t take = size < room ? size : room;
    memcpy(transcript->buffer + transcript->used, data, take);
    transcript->used += take;
    transcript->buffer[transcript->used] = 0;
    return 0;
}

/* The connection part of a message: server, TLS, AUTH, timeouts, transcript. */
static void setup_connection(CURL *curl, const stockroom_smtp_message *m, char *errors, transcript_t *transcript) {
    curl_easy_setopt(curl, CURLOPT_URL, m->url);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errors);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, m->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, m->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, transcript);
    curl_easy_setopt(
        curl, CURLOPT_USE_SSL,
        m->use_ssl == 2 ? (long)CURLUSESSL_ALL : m->use_ssl == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
    if (m->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, m->ca_file);
    if (m->username) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, m->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, m->password ? m->password : "");
    }
}

int stockroom_smtp_send(const stockroom_smtp_message *m, stockroom_smtp_result *r) {
    memset(r, 0, sizeof *r);
    stockroom_curl_global_init();
    CURL *curl = curl_easy_init();
    if (!curl) {
        r->curl_code = CURLE_FAILED_INIT;
        strncpy(r->error, "libcurl could not start", sizeof r->error - 1);
        return r->curl_code;
    }
    transcript_t transcript = {r->transcript, sizeof r->transcript, 0};
    char errors[CURL_ERROR_SIZE] = {0};
    struct curl_slist *recipients = NULL, *headers = NULL, *inline_headers = NULL;
    curl_mime *mime = NULL, *alternative = NULL;

    setup_connection(curl, m, errors, &transcript);
    if (m->recipient_count == 0) {
        /* A probe (stockroom_smtp_probe): no MAIL FROM and no recipient, so libcurl
           connects, says EHLO, STARTTLS and AUTH as configured, then sends this one
           command. Nothing is delivered. */
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "NOOP");
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, m->from);
        for (int i = 0; i < m->recipient_count; i++) recipients = curl_slist_append(recipients, m->recipients[i]);
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
        for (int i = 0; i < m->header_count; i++) headers = curl_slist_append(headers, m->headers[i]);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

        mime = curl_mime_init(curl);
        alternative = curl_mime_init(curl);
        curl_mimepart *part = curl_mime_addpart(alternative);
        curl_mime_data(part, m->text, CURL_ZERO_TERMINATED);
        curl_mime_type(part, "text/plain; charset=utf-8");
        curl_mime_encoder(part, "quoted-printable");
        if (m->html) {
            part = curl_mime_addpart(alternative);
            curl_mime_data(part, m->html, CURL_ZERO_TERMINATED);
            curl_mime_type(part, "text/html; charset=utf-8");
            curl_mime_encoder(part, "quoted-printable");
        }
        part = curl_mime_addpart(mime);
        curl_mime_subparts(part, alternative);
        curl_mime_type(part, "multipart/alternative");
        inline_headers = curl_slist_append(NULL, "Content-Disposition: inline");
        curl_mime_headers(part, inline_headers, 1);
        if (m->attachment_name && m->attachment_data) {
            part = curl_mime_addpart(mime);
            curl_mime_data(part, m->attachment_data, m->attachment_size);
            curl_mime_filename(part, m->attachment_name);
            curl_mime_type(part, m->attachment_type ? m->attachment_type : "application/octet-stream");
            curl_mime_encoder(part, "base64");
        }
        curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    }

    CURLcode code = curl_easy_perform(curl);
    r->curl_code = (int)code;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->response_code);
    if (code != CURLE_OK) {
        const char *text = errors[0] ? errors : curl_easy_strerror(code);
        strncpy(r->error, text, sizeof r->error - 1);
    }
    curl_slist_free_all(recipients);
    curl_slist_free_all(headers);
    curl_mime_free(mime);
    curl_easy_cleanup(curl);
    return r->curl_code;
}

int stockroom_curl_is_permanent(int curl_code, long response_code) {
    // The server refused for good (5xx reply: no such mailbox, relaying denied, message
    // refused) or our setup is wrong (bad credentials, bad URL, STARTTLS not offered when
    // required, certificate not trusted): retrying cannot help.
    if (response_code >= 500 && response_code < 600) return 1;
    switch (curl_code) {
    case CURLE_LOGIN_DENIED:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_AUTH_ERROR:
        return 1;
    default:
        return 0;
    }
}

int stockroom_smtp_probe(const stockroom_smtp_message *m, stockroom_smtp_result *r) {
    stockroom_smtp_message probe = *m;
    probe.recipient_count = 0;
    return stockroom_smtp_send(&probe, r);
}
