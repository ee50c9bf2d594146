#ifndef STOCKROOM_CURL_H
#define STOCKROOM_CURL_H

#include <stddef.h>

/// One e-mail for libcurl's SMTP client: envelope, headers, a text and an HTML body
/// (multipart/alternative) and an optional attachment. Strings are NUL-terminated UTF-8;
/// optional ones may be NULL.
typedef struct {
    const char *url;             /* smtp://host:port (STARTTLS per use_ssl) or smtps://host:port */
    const char *username;        /* AUTH, or NULL */
    const char *password;
    int use_ssl;                 /* 0: never, 1: STARTTLS when offered, 2: STARTTLS required */
    const char *ca_file;         /* CA bundle to verify the server with, or NULL for the system's */
    const char *from;            /* envelope sender */
    const char *const *recipients;
    int recipient_count;
    const char *const *headers;  /* "Subject: …", "From: …", "To: …", "Message-ID: <…>" */
    int header_count;
    const char *text;
    const char *html;            /* or NULL */
    const char *attachment_name; /* or NULL */
    const char *attachment_type;
    const char *attachment_data;
    size_t attachment_size;
    long timeout_ms;
} stockroom_smtp_message;

/// What happened: libcurl's code (0 = sent), the server's last reply code, libcurl's error
/// text, and the lines the server sent (its replies), for the operator.
typedef struct {
    int curl_code;
    long response_code;
    char error[256];
    char transcript[4096];
} stockroom_smtp_result;

/// Initialises libcurl once per process; call before any thread sends.
void stockroom_curl_global_init(void);

/// Sends one message. Blocking; thread-safe (one easy handle per call). Returns curl_code.
int stockroom_smtp_send(const stockroom_smtp_message *message, stockroom_smtp_result *result);

/// Connects, says EHLO, STARTTLS and AUTH as `message` configures them, then NOOP; sends
/// nothing (`stockroom doctor`). Uses only the connection fields of `message`. Returns curl_code.
int stockroom_smtp_probe(const stockroom_smtp_message *message, stockroom_smtp_result *result);

/// libcurl error codes the caller classifies: permanent (no retry) or not.
int stockroom_curl_is_permanent(int curl_code, long response_code);

#endif
