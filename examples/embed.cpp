// examples/embed.cpp: examples/embed.c from C++17, with the C objects held by RAII wrappers
// written here (the library itself stays C): unique_ptr with the library's free functions as
// deleters, and an exception carrying wh_error_last()'s message and details.
//
//     example_embed_cpp http://127.0.0.1:8080/hooks      (the receiver's URL)
//
// Exits 0 only when the receiver answered 2xx.
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include <webhooks.h>

namespace
{

// unique_ptr<T> whose deleter is the library's free function for T.
template <typename T, void (*Free)(T *)> struct Deleter {
    void operator()(T *p) const
    {
        Free(p);
    }
};
using Hub = std::unique_ptr<wh_hub, Deleter<wh_hub, wh_hub_free>>;
using HubOptions = std::unique_ptr<wh_hub_options, Deleter<wh_hub_options, wh_hub_options_free>>;
using Subscription =
    std::unique_ptr<wh_subscription, Deleter<wh_subscription, wh_subscription_free>>;
using Event = std::unique_ptr<wh_event, Deleter<wh_event, wh_event_free>>;
using Store = std::unique_ptr<wh_store, Deleter<wh_store, wh_store_free>>;

// A failed call: the code, and the library's message with one line per detail.
struct Error : std::runtime_error {
    int code;
    explicit Error(int rc) : std::runtime_error(describe()), code(rc) {}
    static std::string describe()
    {
        const wh_error *e = wh_error_last();
        std::string text = e->message;
        for (size_t i = 0; i < e->details_count; i++)
            text += std::string("\n  - ") + e->details[i];
        return text;
    }
};

void check(int rc)
{
    if (rc != WH_OK) throw Error(rc);
}

// A temporary directory removed with everything in it, whatever happens.
struct TempDir {
    std::filesystem::path path;
    TempDir()
    {
        char tmpl[] = "/tmp/webhooks-embed-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        path = tmpl;
    }
    ~TempDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

int run(const std::string &url)
{
    TempDir dir;
    // 1. A durable store, and a hub that borrows it: declared after the store, the hub is
    //    destroyed first, as it must be.
    wh_store *raw_store = nullptr;
    check(wh_store_sqlite_open(&raw_store, (dir.path / "webhooks.db").c_str()));
    Store store(raw_store);
    wh_hub_options *raw_opts = nullptr;
    check(wh_hub_options_new(&raw_opts));
    HubOptions opts(raw_opts);
    check(wh_hub_options_set_store(opts.get(), store.get(), 0));
    check(wh_hub_options_allow_cidr(opts.get(), "127.0.0.0/8")); // the demo receiver: loopback
    wh_hub *raw_hub = nullptr;
    check(wh_hub_new(&raw_hub, opts.get()));
    Hub hub(raw_hub);

    // 2. One webhook, registered in code.
    wh_subscription *raw_sub = nullptr;
    check(wh_subscription_new(&raw_sub));
    Subscription sub(raw_sub);
    check(wh_subscription_set_url(sub.get(), url.c_str()));
    check(wh_subscription_list_add(sub.get(), WH_LIST_EVENTS, "order.*"));
    check(wh_hub_subscription_add(hub.get(), sub.get()));

    // 3. Emit an event.
    wh_event *raw_ev = nullptr;
    check(wh_event_new(&raw_ev, "order.created"));
    Event ev(raw_ev);
    const std::string data = R"({"orderId":42,"total":"19.90"})";
    check(wh_event_set_data(ev.get(), data.data(), data.size()));
    size_t queued = 0;
    check(wh_hub_emit(hub.get(), ev.get(), &queued));

    // 4. Run the loop until the first attempt is recorded (10 s at most).
    int status = 0;
    for (int i = 0; i < 500 && status == 0; i++) {
        check(wh_hub_run(hub.get(), 20));
        wh_subscription *raw_now = nullptr;
        check(wh_hub_subscription_get(hub.get(), wh_subscription_id(sub.get()), &raw_now));
        Subscription now(raw_now);
        status = wh_subscription_last_delivery_status(now.get());
    }

    // 5. The outcome.
    const bool ok = status >= 200 && status < 300;
    std::cout << "event " << wh_event_id(ev.get()) << " -> " << queued << " delivery to " << url
              << ": " << status << ' '
              << (status < 0 ? wh_strerror(status)
                  : ok       ? "OK"
                             : "failed")
              << '\n';
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    try {
        return run(argc > 1 ? argv[1] : "http://127.0.0.1:8080/hooks");
    } catch (const std::exception &e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
