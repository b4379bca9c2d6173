// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The HTTP/1.1 framer alone: where messages begin and end, fed whole and
// split at every byte.
#include "httpframer_p.h"

#include <QTest>

using canstop::HttpFramer;
using Event = HttpFramer::Event;

namespace {

// The events of `stream`, fed in pieces of `piece` bytes, as letters:
// B(egun) L(ine in head) H(ead ended) E(nded) U(pgraded) G(arbled).
QByteArray events(HttpFramer::Side side, const QByteArray &stream, qsizetype piece,
                  bool answersHead = false)
{
    HttpFramer framer(side);
    framer.setAnswersHead(answersHead);
    QByteArray seen;
    for (qsizetype at = 0; at < stream.size();) {
        const qsizetype end = std::min(stream.size(), at + piece);
        while (at < end) {
            Event event;
            at += framer.feed(stream.constData() + at, end - at, &event);
            seen += " BLHEUG"[static_cast<int>(event)];
        }
    }
    seen.replace(' ', "");
    return seen;
}

} // namespace

class TestHttpFramer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void frames_data()
    {
        QTest::addColumn<bool>("requests");
        QTest::addColumn<QByteArray>("stream");
        QTest::addColumn<QByteArray>("expected");

        QTest::newRow("GET") << true << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                             << QByteArray("BLLE");
        QTest::newRow("pipelined, bare LF, empty lines between")
            << true << QByteArray("GET /a HTTP/1.1\n\n\r\nGET /b HTTP/1.1\r\n\r\n")
            << QByteArray("BLEBLE");
        QTest::newRow("body by length")
            << true
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n")
            << QByteArray("BLLHEBLE");
        QTest::newRow("chunked, extension, trailer")
            << true
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                          "5;x=y\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n")
            << QByteArray("BLLHE");
        QTest::newRow("chunked wins over length")
            << true
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 99\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n0\r\n\r\n")
            << QByteArray("BLLLHE");
        QTest::newRow("request not HTTP")
            << true << QByteArray("\x16\x03\x01 garbage\r\n") << QByteArray("BG");
        QTest::newRow("two different lengths")
            << true << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n")
            << QByteArray("BLLG");
        QTest::newRow("the same length twice, in a list")
            << true
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nabGET / HTTP/1.1\r\n\r\n")
            << QByteArray("BLLHEBLE");
        QTest::newRow("identity is no coding")
            << true
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\nContent-Length: "
                          "1\r\n\r\nx")
            << QByteArray("BLLLHE");
        QTest::newRow("a length with a sign")
            << true << QByteArray("POST / HTTP/1.1\r\nContent-Length: +5\r\n") << QByteArray("BLG");
        QTest::newRow("a chunk size past any limit") // found by fuzz_httpframer: an overflow
            << true
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "ffffffffffffffffffff\r\n")
            << QByteArray("BLLHG");
        QTest::newRow("request coding not chunked")
            << true << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")
            << QByteArray("BLLG");

        QTest::newRow("response by length")
            << false << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
            << QByteArray("BLLHE");
        QTest::newRow("interim, then final")
            << false << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
            << QByteArray("BLHBLE");
        QTest::newRow("not modified has no body")
            << false << QByteArray("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n")
            << QByteArray("BLLE");
        QTest::newRow("chunked response")
            << false
            << QByteArray(
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n")
            << QByteArray("BLLHE");
        QTest::newRow("until close")
            << false << QByteArray("HTTP/1.1 200 OK\r\n\r\nstreaming") << QByteArray("BLH");
        QTest::newRow("upgraded")
            << false
            << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00")
            << QByteArray("BLLU");
        QTest::newRow("response not HTTP") << false << QByteArray("hello\r\n") << QByteArray("BG");
    }

    void frames()
    {
        QFETCH(bool, requests);
        QFETCH(QByteArray, stream);
        QFETCH(QByteArray, expected);
        const auto side = requests ? HttpFramer::Side::Requests : HttpFramer::Side::Responses;
        for (qsizetype piece = 1; piece <= stream.size(); ++piece)
            QCOMPARE(events(side, stream, piece), expected);
    }

    void answerToHeadHasNoBody()
    {
        const QByteArray response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
        QCOMPARE(events(HttpFramer::Side::Responses, response, 1, true), QByteArray("BLLE"));
        QCOMPARE(events(HttpFramer::Side::Responses, response, 1, false), QByteArray("BLLH"));
    }

    // Qt 6.4's QHttpServer writes a body after its answer to HEAD, as long
    // as its Content-Length says; it belongs to no response. A server that
    // writes none begins its next response at once.
    void bodyAfterTheAnswerToHead_data()
    {
        QTest::addColumn<QByteArray>("stream");
        const QByteArray head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
        const QByteArray next("HTTP/1.1 204 No Content\r\n\r\n");
        QTest::newRow("as Qt 6.4 writes it") << head + "abc" + next;
        QTest::newRow("a body that begins as a response would")
            << QByteArray(head).replace("3", "9") + "HTTP/2 ok" + next;
        QTest::newRow("as RFC 9110 says") << head + next;
    }
    void bodyAfterTheAnswerToHead()
    {
        QFETCH(QByteArray, stream);
        for (qsizetype piece = 1; piece <= stream.size(); ++piece)
            QCOMPARE(events(HttpFramer::Side::Responses, stream, piece, true),
                     QByteArray("BLLEBLE"));
        HttpFramer framer(HttpFramer::Side::Responses);
        framer.setAnswersHead(true);
        Event event;
        const qsizetype headEnd = stream.indexOf("\r\n\r\n") + 4;
        for (qsizetype at = 0; at < headEnd;)
            at += framer.feed(stream.constData() + at, headEnd - at, &event);
        QVERIFY(!framer.inMessage()); // the response is over: its connection may go idle
    }

    void inMessageUntilTheLastByte()
    {
        HttpFramer framer(HttpFramer::Side::Requests);
        QVERIFY(!framer.inMessage());
        const QByteArray request("PUT /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nab");
        Event event;
        for (qsizetype at = 0; at < request.size(); ++at) {
            framer.feed(request.constData() + at, 1, &event);
            QCOMPARE(framer.inMessage(), at + 1 < request.size());
            QCOMPARE(framer.inHead(), at + 1 < request.indexOf("\r\n\r\n") + 4);
        }
        QCOMPARE(event, Event::Ended);
        QCOMPARE(framer.method(), QByteArray("PUT"));
    }

    void endlessLineIsGarbled()
    {
        HttpFramer framer(HttpFramer::Side::Requests);
        const QByteArray line(1024, 'a');
        Event event = Event::None;
        for (int i = 0; i < 100 && event != Event::Garbled; ++i) {
            framer.feed(line.constData(), line.size(), &event);
            if (event == Event::Begun)
                framer.feed(line.constData(), line.size(), &event);
        }
        QCOMPARE(event, Event::Garbled);
        QVERIFY(framer.isOpaque());
        QVERIFY(!framer.inMessage());
        // Opaque for good: anything after is read and ignored.
        QCOMPARE(framer.feed("GET / HTTP/1.1\r\n\r\n", 18, &event), 18);
        QCOMPARE(event, Event::None);
    }
};

QTEST_APPLESS_MAIN(TestHttpFramer)
#include "tst_httpframer.moc"
