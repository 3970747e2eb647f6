//! The page in a real browser: each test runs one scenario of
//! `tests/browser/run.mjs`, which starts the real `herald` binary and drives
//! Debian's Chromium through `playwright-core` (see `support/browser.rs`).

mod support;

use support::browser::run;

#[test]
fn two_tabs_see_a_message_typed_in_one() {
    run("two-tabs");
}

#[test]
fn markup_in_a_message_is_shown_as_text_and_never_runs() {
    run("xss");
}

#[test]
fn the_indicator_follows_the_connection_and_nothing_is_lost_across_a_reconnect() {
    run("reconnect");
}

#[test]
fn eight_tabs_of_one_browser_all_stay_live() {
    run("eight-tabs");
}

#[test]
fn the_form_works_without_javascript() {
    run("no-javascript");
}

#[test]
fn screenshots_at_laptop_and_phone_size_show_the_feed() {
    run("screenshots");
}

#[test]
fn a_full_server_is_retried_until_there_is_room() {
    run("full-server");
}

#[test]
fn another_sites_page_uses_herald_js() {
    run("other-origin");
}

#[test]
fn a_failed_send_is_shown_next_to_the_form() {
    run("send-errors");
}

#[test]
fn a_topic_page_is_a_room_of_its_own() {
    run("topic-rooms");
}

#[test]
fn chromiums_websocket_receives_and_publishes() {
    run("websocket");
}

#[test]
fn the_apps_login_decides_what_each_browser_sees() {
    run("private-topics");
}

#[test]
fn a_django_page_with_the_feed_tag_misses_nothing_and_shows_only_its_topic() {
    run("django-feed");
}

#[test]
fn behind_one_proxy_at_a_path_the_django_feed_and_heralds_page_both_work() {
    run("django-behind-a-path");
}

#[test]
fn a_new_tab_shows_recent_messages_of_every_type_with_the_time_they_were_published() {
    run("recent-on-open");
}

#[test]
fn missed_messages_come_back_with_their_own_times() {
    run("reconnect-times");
}

#[test]
fn axe_finds_nothing_in_light_or_dark_and_the_page_works_by_keyboard() {
    run("accessible");
}

#[test]
fn the_readmes_htmx_page_swaps_events_in_from_another_origin_with_credentials() {
    run("htmx-other-origin");
}

#[test]
fn the_readmes_htmx_page_swaps_events_in_from_heralds_own_origin() {
    run("htmx-same-origin");
}

#[test]
fn the_page_shows_each_keys_current_value_and_is_right_after_a_reconnect_that_missed_changes() {
    run("now-panel");
}

#[test]
fn here_now_names_each_person_once_as_text_and_drops_who_left() {
    run("here-now");
}

#[test]
fn a_django_page_with_the_presence_tag_renders_who_is_here_and_keeps_it_live() {
    run("django-presence");
}

#[test]
fn a_django_page_with_the_state_tag_renders_the_values_and_keeps_them_live() {
    run("django-state");
}

#[test]
fn the_readmes_htmx_page_of_live_state_swaps_each_key_in_place_and_after_a_reconnect() {
    run("htmx-state");
}
