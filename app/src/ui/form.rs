//! Form pieces: a labelled input that shows its error beside it, the form-level error banner,
//! and a submit button that knows when the form is busy.

use super::{error_text, problem_text};
use crate::{
    error::{AppError, Problem},
    i18n::*,
};
use leptos::prelude::*;

/// The error of a server action's last answer, if it failed.
pub fn error_of<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// A labelled input. `children` is the label. With `validate`, the browser checks the value
/// with the same parser as the server when the field loses focus.
#[component]
pub fn TextField(
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] validate: Option<fn(&str) -> Result<(), Problem>>,
    #[prop(optional, into)] hint: Option<ViewFn>,
    #[prop(optional)] autofocus: bool,
    /// Shown but not editable (the caller says why nearby).
    #[prop(optional)] readonly: bool,
    /// For forms sent by code rather than as an `ActionForm`: the field's value, two-way.
    #[prop(optional)] value: Option<RwSignal<String>>,
    /// The element id when one page holds several fields of this name (one form per row).
    #[prop(optional, into)] id: Option<String>,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let local = RwSignal::new(None::<Problem>);
    // Typing hides the server's verdict on this field until the next answer arrives.
    let edited = RwSignal::new(false);
    Effect::new(move || {
        error.track();
        edited.set(false);
    });
    let problem = move || {
        local.get().or_else(|| {
            if edited.get() { None } else { error.get().and_then(|e| e.problem_for(name)) }
        })
    };
    let input_id = id.unwrap_or_else(|| format!("field-{name}"));
    let message_id = format!("{input_id}-message");
    let hint_id = format!("{input_id}-hint");
    let has_hint = hint.is_some();
    let described_by = {
        let (message_id, hint_id) = (message_id.clone(), hint_id.clone());
        move || if problem().is_some() { message_id.clone() } else if has_hint { hint_id.clone() } else { String::new() }
    };
    let on_blur = move |ev: leptos::ev::FocusEvent| {
        if let Some(check) = validate {
            local.set(check(&event_target_value(&ev)).err());
        }
    };
    view! {
        <div class="space-y-1">
            <label for=input_id.clone() class="block text-sm font-medium text-slate-700">
                {children()}
            </label>
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete
                autofocus=autofocus
                readonly=readonly
                aria-invalid=move || problem().is_some().to_string()
                aria-describedby=described_by
                on:blur=on_blur
                prop:value=move || value.map(|v| v.get()).unwrap_or_default()
                on:input=move |ev| {
                    edited.set(true);
                    local.set(None);
                    if let Some(value) = value {
                        value.set(event_target_value(&ev));
                    }
                }
                class="block w-full rounded-md border-0 px-3 py-2 text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 aria-[invalid=true]:ring-red-500 read-only:bg-slate-50 read-only:text-slate-600 sm:text-sm"
            />
            {hint.map(|hint| view! { <p id=hint_id class="text-xs text-slate-500">{hint.run()}</p> })}
            <p id=message_id class="text-sm text-red-600" role="alert">
                {move || problem().map(|p| problem_text(i18n.get_locale(), p))}
            </p>
        </div>
    }
}

/// The banner for errors that are not about one field (wrong password, rate limit, outage).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || {
        error.get().filter(|e| e.field_errors().is_empty()).map(|e| error_text(i18n.get_locale(), &e))
    };
    view! {
        <Show when=move || message().is_some()>
            <div role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">
                {message}
            </div>
        </Show>
    }
}

#[component]
pub fn SubmitButton(#[prop(into)] pending: Signal<bool>, children: Children) -> impl IntoView {
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
            class="flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60"
        >
            {children()}
        </button>
    }
}

/// The problem the last answer found with `field` when no input shows it (a passkey prompt,
/// say), in words, where the field's control is.
#[component]
pub fn FieldProblem(field: &'static str, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let text = move || error.get().and_then(|e| e.problem_for(field)).map(|p| problem_text(i18n.get_locale(), p));
    view! {
        <p role="alert" data-testid=format!("{field}-problem") class="text-sm text-red-600">{text}</p>
    }
}
