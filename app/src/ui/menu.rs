//! Drop-down menus (a row's actions, the user menu) built on `<details>`: one open at a time,
//! closed by a click elsewhere, Escape, scrolling or resizing, and placed inside the viewport
//! (upwards when there is no room below) above any scrolling box that would clip them.

use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

const MENU: &str = "details[data-menu]";
const OPEN_MENUS: &str = "details[data-menu][open]";
/// Space between the button and its menu, and kept free at the viewport's edges.
const GAP: f64 = 4.0;

/// Closes every open menu except `keep`.
fn close_all_but(keep: Option<&Element>) {
    let Ok(open) = document().query_selector_all(OPEN_MENUS) else { return };
    for i in 0..open.length() {
        if let Some(menu) = open.item(i).and_then(|node| node.dyn_into::<Element>().ok()) {
            if keep != Some(&menu) {
                let _ = menu.remove_attribute("open");
            }
        }
    }
}

/// The page-wide listeners that close menus; the layout installs them once.
pub fn close_menus_on_outside_events() {
    // Handles are dropped on purpose: the layout lives as long as the page.
    let _ = window_event_listener(ev::click, |event| {
        let menu = event
            .target()
            .and_then(|target| target.dyn_into::<Element>().ok())
            .and_then(|element| element.closest(MENU).ok().flatten());
        close_all_but(menu.as_ref());
    });
    let _ = window_event_listener(ev::keydown, |event| {
        if event.key() != "Escape" {
            return;
        }
        // Focus goes back to the button of the menu that closes, as for any disclosure.
        if let Ok(Some(summary)) = document().query_selector(&format!("{OPEN_MENUS} > summary")) {
            if let Ok(summary) = summary.dyn_into::<HtmlElement>() {
                let _ = summary.focus();
            }
        }
        close_all_but(None);
    });
    let _ = window_event_listener(ev::resize, |_| close_all_but(None));
    let _ = window_event_listener_untyped("scroll", |_| close_all_but(None));
}

/// Called when `menu` opens or closes: closes the others and puts its panel on screen.
pub fn on_toggle(menu: Option<web_sys::HtmlDetailsElement>, panel: Option<web_sys::HtmlDivElement>) {
    let (Some(menu), Some(panel)) = (menu, panel) else { return };
    if !menu.open() {
        return;
    }
    close_all_but(Some(&menu));
    let Some(summary) = menu.first_element_child() else { return };
    let button = summary.get_bounding_client_rect();
    let (width, height) = (f64::from(panel.offset_width()), f64::from(panel.offset_height()));
    let viewport_width = window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(width);
    let viewport_height = window().inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(height);
    let (top, left) = placement(
        Edges { top: button.top(), bottom: button.bottom(), left: button.left(), right: button.right() },
        (width, height),
        (viewport_width, viewport_height),
    );
    // Fixed, so no scrolling ancestor clips it; set through the CSSOM, which CSP allows.
    let style = HtmlElement::style(&panel);
    let _ = style.set_property("position", "fixed");
    let _ = style.set_property("top", &format!("{top}px"));
    let _ = style.set_property("left", &format!("{left}px"));
    let _ = style.set_property("right", "auto");
    let _ = style.set_property("margin-top", "0");
}

/// A button's edges in viewport coordinates.
struct Edges {
    top: f64,
    bottom: f64,
    left: f64,
    right: f64,
}

/// Where a menu of `size` goes for `button`: beside it on the left, tops aligned, so the
/// buttons of the rows around it stay visible and clickable; its bottom aligned with the
/// button's when it would pass the viewport's bottom (it opens upwards); below the button
/// when there is no room on the left. Always inside the viewport.
fn placement(button: Edges, size: (f64, f64), viewport: (f64, f64)) -> (f64, f64) {
    let (width, height) = size;
    let (viewport_width, viewport_height) = viewport;
    let inside = |y: f64| y.min(viewport_height - height - GAP).max(GAP);
    if button.left - GAP - width >= GAP {
        let downwards = button.top + height + GAP <= viewport_height;
        let y = if downwards { button.top } else { button.bottom - height };
        return (inside(y), button.left - GAP - width);
    }
    let below = button.bottom + GAP;
    let y = if below + height + GAP <= viewport_height { below } else { button.top - GAP - height };
    (inside(y), (button.right - width).min(viewport_width - width - GAP).max(GAP))
}

#[cfg(test)]
mod tests {
    use super::{Edges, placement};

    const VIEWPORT: (f64, f64) = (1280.0, 720.0);
    const MENU: (f64, f64) = (240.0, 200.0);

    fn button(top: f64, left: f64) -> Edges {
        Edges { top, bottom: top + 30.0, left, right: left + 80.0 }
    }

    #[test]
    fn opens_beside_the_button_leaving_other_rows_buttons_free() {
        assert_eq!(placement(button(100.0, 1000.0), MENU, VIEWPORT), (100.0, 1000.0 - 4.0 - 240.0));
    }

    #[test]
    fn opens_upwards_near_the_bottom_of_the_viewport() {
        let (top, _) = placement(button(600.0, 1000.0), MENU, VIEWPORT);
        assert_eq!(top, 630.0 - 200.0);
    }

    #[test]
    fn goes_below_or_above_when_there_is_no_room_on_the_left() {
        assert_eq!(placement(button(100.0, 50.0), MENU, VIEWPORT), (134.0, 4.0));
        assert_eq!(placement(button(600.0, 50.0), MENU, VIEWPORT).0, 600.0 - 4.0 - 200.0);
    }

    #[test]
    fn stays_inside_the_viewport_when_the_menu_is_taller_than_the_room() {
        let (top, _) = placement(button(100.0, 1000.0), (240.0, 700.0), VIEWPORT);
        assert_eq!(top, 4.0);
    }
}
