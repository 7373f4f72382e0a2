//! The class lists every page's controls share, so a button or a list looks the same wherever
//! it is (Tailwind finds the classes here, in `app/src`).

/// The one main action of a form or a page.
pub const PRIMARY_BUTTON: &str =
    "rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60";

/// A secondary action beside the main one (cancel, back, another way).
pub const SECONDARY_BUTTON: &str =
    "rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-60";

/// A drop-down list in a form or a filter bar.
pub const SELECT: &str =
    "mt-1 block w-full rounded-md border-0 py-1.5 pl-3 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";

/// A filter's or a small control's label.
pub const SMALL_LABEL: &str = "block text-xs font-medium text-slate-600";

/// What went well, in a green box.
pub const SUCCESS_BOX: &str = "rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200";
