//! The import page (`/users/import`): the file format and its template, a file picker, the
//! preview of every row with its problems beside the cell concerned, and the import once
//! nothing is wrong, confirmed with the count.

use super::{
    CellError, CellProblem, FileProblem, ImportColumn, ImportOutcome, ImportPreview, ImportRow, ImportUsers, MAX_IMPORT_BYTES,
    MAX_IMPORT_PASSWORDS, MAX_IMPORT_ROWS, PreviewImport,
};
use crate::{
    domain::Permission,
    error::AppError,
    i18n::*,
    session::use_session,
    ui::{Gate, Need, error_text, leave_when_signed_out, problem_text, thousands},
};
use leptos::prelude::*;

/// Rows shown at first, and added by each "show more": a 10,000-row preview stays responsive.
const SHOWN: usize = 200;

/// What the last import did: users created, invited, given an initial password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Done {
    created: u64,
    invited: u64,
    with_password: u64,
}

#[component]
pub fn ImportUsersPage() -> impl IntoView {
    view! { <Gate need=Need::Member><Importer /></Gate> }
}

#[component]
fn Importer() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let can_manage = move || session.user().is_some_and(|u| u.permissions.contains(Permission::UsersManage));
    let preview = ServerAction::<PreviewImport>::new();
    let import = ServerAction::<ImportUsers>::new();
    // The file's text, sent again to import: the server checks it all over again.
    let text = StoredValue::new(String::new());
    let report = RwSignal::new(None::<ImportPreview>);
    let local_problem = RwSignal::new(None::<FileProblem>);
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(None::<Done>);
    leave_when_signed_out(move || error.get());
    Effect::new(move || match preview.value().get() {
        Some(Ok(answer)) => report.set(Some(answer)),
        Some(Err(failure)) => error.set(Some(failure)),
        None => {}
    });
    Effect::new(move || match import.value().get() {
        Some(Ok(ImportOutcome::Imported { created, invited, with_password })) => {
            report.set(None);
            done.set(Some(Done { created, invited, with_password }));
        }
        Some(Ok(ImportOutcome::Refused(answer))) => report.set(Some(answer)),
        Some(Err(failure)) => error.set(Some(failure)),
        None => {}
    });
    let on_change = move |ev: leptos::ev::Event| {
        report.set(None);
        local_problem.set(None);
        error.set(None);
        done.set(None);
        #[cfg(feature = "hydrate")]
        {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            leptos::task::spawn_local(async move {
                match chosen_file(&input).await {
                    Ok(Some(csv)) => {
                        text.set_value(csv.clone());
                        preview.dispatch(PreviewImport { csv });
                    }
                    Ok(None) => {}
                    Err(problem) => local_problem.set(Some(problem)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let ready = move || report.with(|r| r.as_ref().is_some_and(ImportPreview::is_ready));
    let rows = move || report.with(|r| r.as_ref().map_or(0, |r| r.rows.len()));
    let busy = move || preview.pending().get() || import.pending().get();
    let run = move |_| {
        error.set(None);
        import.dispatch(ImportUsers { csv: text.get_value() });
    };
    view! {
        <a href="/users" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">"← " {t!(i18n, users.title)}</a>
        <h1 class="mt-4 text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, import.title)}</h1>
        <Show when=can_manage fallback=move || view! {
            <p role="alert" class="mt-6 text-sm text-red-700">{move || error_text(i18n.get_locale(), &AppError::Forbidden)}</p>
        }>
            <section class="mt-6 space-y-3 rounded-xl bg-white p-6 text-sm text-slate-700 shadow-sm ring-1 ring-slate-200" aria-labelledby="import-format">
                <h2 id="import-format" class="text-base font-semibold text-slate-900">{t!(i18n, import.format_title)}</h2>
                <p>{t!(i18n, import.intro)}</p>
                <ul class="list-disc space-y-1 pl-5">
                    <li>{t!(i18n, import.format_columns)}</li>
                    <li>{t!(i18n, import.format_roles)}</li>
                    <li>{t!(i18n, import.format_language)}</li>
                    <li>{move || td_string!(i18n.get_locale(), import.format_password, max = MAX_IMPORT_PASSWORDS).to_string()}</li>
                    <li>{move || td_string!(i18n.get_locale(), import.format_file, rows = thousands(i18n.get_locale(), MAX_IMPORT_ROWS as u64), megabytes = MAX_IMPORT_BYTES / (1024 * 1024)).to_string()}</li>
                </ul>
                <a href="/users/import/template.csv" download="users-import.csv" rel="external"
                    class="inline-block rounded-md px-3 py-2 font-semibold text-indigo-700 ring-1 ring-inset ring-indigo-200 hover:bg-indigo-50">
                    {t!(i18n, import.template)}
                </a>
            </section>
            <div class="mt-6 rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
                <label for="import-file" class="block text-sm font-medium text-slate-700">{t!(i18n, import.file)}</label>
                <input id="import-file" type="file" accept=".csv,text/csv" on:change=on_change
                    aria-describedby="import-file-status"
                    class="mt-2 block w-full text-sm text-slate-700 file:mr-4 file:rounded-md file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:font-semibold file:text-indigo-700 hover:file:bg-indigo-100" />
                <div id="import-file-status" class="mt-3 space-y-2 text-sm">
                    <Show when=move || preview.pending().get()>
                        <p role="status" class="text-slate-600">{t!(i18n, import.checking)}</p>
                    </Show>
                    {move || local_problem.get().map(|problem| view! {
                        <p role="alert" class="text-red-700">{file_problem_text(i18n.get_locale(), &problem)}</p>
                    })}
                    {move || error.get().map(|failure| view! {
                        <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-red-800 ring-1 ring-inset ring-red-200">
                            {error_text(i18n.get_locale(), &failure)}
                        </p>
                    })}
                </div>
            </div>
            {move || done.get().map(|done| view! { <Confirmation done /> })}
            {move || report.get().map(|report| view! { <Report report /> })}
            <Show when=move || report.with(Option::is_some)>
                <div class="mt-6 max-w-sm">
                    <button type="button" on:click=run disabled=move || !ready() || busy()
                        aria-busy=move || import.pending().get().to_string()
                        class="flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60">
                        {move || td_string!(i18n.get_locale(), import.submit, count = rows() as u64).to_string()}
                    </button>
                    <Show when=move || !ready()>
                        <p class="mt-2 text-sm text-slate-600">{t!(i18n, import.fix_first)}</p>
                    </Show>
                </div>
            </Show>
        </Show>
    }
}

#[component]
fn Confirmation(done: Done) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <div role="status" data-testid="import-done" class="mt-6 space-y-2 rounded-xl bg-emerald-50 p-6 text-sm text-emerald-950 ring-1 ring-inset ring-emerald-200">
            <p class="text-base font-semibold">{td_string!(locale, import.done, count = done.created as u64).to_string()}</p>
            {(done.invited > 0).then(|| view! { <p>{td_string!(locale, import.done_invited, count = done.invited as u64).to_string()}</p> })}
            {(done.with_password > 0).then(|| view! { <p>{td_string!(locale, import.done_passwords, count = done.with_password as u64).to_string()}</p> })}
            <a href="/users" class="inline-block font-semibold text-indigo-700 hover:text-indigo-600">{t!(i18n, import.to_users)}</a>
        </div>
    }
}

/// The preview: what stops the whole file, a summary, and the rows with their problems.
#[component]
fn Report(report: ImportPreview) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let with_errors = report.rows_with_errors();
    let only_errors = RwSignal::new(with_errors > 0);
    let shown = RwSignal::new(SHOWN);
    let ready = report.is_ready();
    let total = report.rows.len();
    let rows = StoredValue::new(report.rows);
    let visible = move || {
        rows.with_value(|rows| {
            rows.iter().filter(|r| !only_errors.get() || !r.errors.is_empty()).take(shown.get()).cloned().collect::<Vec<_>>()
        })
    };
    let hidden = move || {
        let matching = rows.with_value(|rows| rows.iter().filter(|r| !only_errors.get() || !r.errors.is_empty()).count());
        matching.saturating_sub(shown.get())
    };
    view! {
        <section class="mt-6" aria-labelledby="import-preview">
            <h2 id="import-preview" class="text-lg font-semibold text-slate-900">{t!(i18n, import.preview_title)}</h2>
            {(!report.problems.is_empty()).then(|| view! {
                <div role="alert" data-testid="import-file-problems" class="mt-3 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">
                    <ul class="space-y-1">
                        {report.problems.iter().map(|p| view! { <li>{file_problem_text(locale, p)}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            <p data-testid="import-summary" class="mt-3 text-sm text-slate-700">
                {td_string!(locale, import.rows, count = total as u64).to_string()} " "
                {if ready {
                    td_string!(locale, import.all_ready).to_string()
                } else if with_errors > 0 {
                    td_string!(locale, import.rows_with_errors, count = with_errors as u64).to_string()
                } else {
                    String::new()
                }}
            </p>
            {(with_errors > 0).then(|| view! {
                <label class="mt-3 flex items-center gap-2 text-sm text-slate-700">
                    <input type="checkbox" prop:checked=move || only_errors.get()
                        on:change=move |ev| { only_errors.set(event_target_checked(&ev)); shown.set(SHOWN); }
                        class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
                    {t!(i18n, import.only_errors)}
                </label>
            })}
            {(total > 0).then(|| view! {
                // Focusable, so a keyboard can scroll a table wider than the screen.
                <div role="region" aria-labelledby="import-preview" tabindex="0"
                    class="mt-3 overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600">
                    <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                        <thead class="bg-slate-50 text-xs text-slate-600">
                            <tr>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, import.line)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, users.first_name)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, users.last_name)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, users.login_name)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, users.email)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, users.roles)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, import.language)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, import.sign_in)}</th>
                                <th scope="col" class="px-3 py-2 font-semibold">{t!(i18n, import.status)}</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            <For each=visible key=|row| row.line let:row>
                                <PreviewRow row />
                            </For>
                        </tbody>
                    </table>
                </div>
            })}
            <Show when=move || { hidden() > 0 }>
                <button type="button" on:click=move |_| shown.update(|n| *n += SHOWN)
                    class="mt-3 rounded-md px-3 py-2 text-sm font-semibold text-indigo-700 ring-1 ring-inset ring-indigo-200 hover:bg-indigo-50">
                    {move || td_string!(i18n.get_locale(), import.show_more, count = hidden() as u64).to_string()}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn PreviewRow(row: ImportRow) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let errors = row.errors.clone();
    let cell = move |column: ImportColumn, value: String| {
        let problems: Vec<String> = errors.iter().filter(|e| e.column == Some(column)).map(|e| cell_problem_text(locale, e)).collect();
        let wrong = !problems.is_empty();
        view! {
            <td class=if wrong { "bg-red-50 px-3 py-2 align-top" } else { "px-3 py-2 align-top" }
                data-column={column.header()} data-invalid={wrong.to_string()}>
                <span class="break-all text-slate-900">{value}</span>
                {problems.into_iter().map(|text| view! { <span class="block text-xs font-medium text-red-700">{text}</span> }).collect_view()}
            </td>
        }
    };
    let whole_row: Vec<String> = row.errors.iter().filter(|e| e.column.is_none()).map(|e| cell_problem_text(locale, e)).collect();
    let count = row.errors.len();
    let sign_in = if row.with_password { td_string!(locale, import.with_password) } else { td_string!(locale, import.with_invitation) };
    view! {
        <tr data-testid="import-row" data-line={row.line.to_string()} class={if count > 0 { "bg-red-50/40" } else { "" }}>
            <th scope="row" class="px-3 py-2 align-top font-mono text-xs font-normal text-slate-600">{row.line}</th>
            {cell(ImportColumn::FirstName, row.first_name.clone())}
            {cell(ImportColumn::LastName, row.last_name.clone())}
            {cell(ImportColumn::LoginName, row.login_name.clone())}
            {cell(ImportColumn::Email, row.email.clone())}
            {cell(ImportColumn::Roles, row.roles.join(", "))}
            {cell(ImportColumn::Language, row.language.clone())}
            {cell(ImportColumn::Password, sign_in.to_owned())}
            <td class="px-3 py-2 align-top">
                {if count == 0 {
                    view! { <span class="text-emerald-700">{td_string!(locale, import.row_ready)}</span> }.into_any()
                } else {
                    view! { <span class="font-medium text-red-700">{td_string!(locale, import.row_problems, count = count as u64).to_string()}</span> }.into_any()
                }}
                {whole_row.into_iter().map(|text| view! { <span class="block text-xs font-medium text-red-700">{text}</span> }).collect_view()}
            </td>
        </tr>
    }
}

fn cell_problem_text(locale: Locale, error: &CellError) -> String {
    match &error.problem {
        CellProblem::Invalid(problem) => problem_text(locale, *problem),
        CellProblem::DuplicateOf(line) => td_string!(locale, import.duplicate_of, line = *line).to_string(),
        CellProblem::UnknownRole(name) => td_string!(locale, import.unknown_role, name = name.as_str()).to_string(),
        CellProblem::NotGrantable(name) => td_string!(locale, import.not_grantable, name = name.as_str()).to_string(),
        CellProblem::UnknownLanguage => td_string!(locale, import.unknown_language).to_string(),
        CellProblem::PasswordWhileActing => td_string!(locale, import.password_while_acting).to_string(),
        CellProblem::ExtraCells => td_string!(locale, import.extra_cells).to_string(),
    }
}

fn file_problem_text(locale: Locale, problem: &FileProblem) -> String {
    match problem {
        FileProblem::Empty => td_string!(locale, import.empty).to_string(),
        FileProblem::TooLarge { max_bytes } => td_string!(locale, import.too_large, megabytes = max_bytes / (1024 * 1024)).to_string(),
        FileProblem::TooManyRows { max } => td_string!(locale, import.too_many_rows, max = thousands(locale, *max)).to_string(),
        FileProblem::TooManyPasswords { max } => td_string!(locale, import.too_many_passwords, max = *max).to_string(),
        FileProblem::MissingColumn(name) => td_string!(locale, import.missing_column, name = name.as_str()).to_string(),
        FileProblem::UnknownColumn(name) => td_string!(locale, import.unknown_column, name = name.as_str()).to_string(),
        FileProblem::DuplicateColumn(name) => td_string!(locale, import.duplicate_column, name = name.as_str()).to_string(),
        FileProblem::Malformed { line } => td_string!(locale, import.malformed, line = *line).to_string(),
        FileProblem::InvitationQuota { needed, remaining, limit } => {
            td_string!(locale, import.quota, needed = *needed, remaining = *remaining, limit = *limit).to_string()
        }
    }
}

/// The text of the file chosen in the `<input type=file>` `input`, or `None` when none is; a
/// file over the size limit is refused before it is read. The input is emptied afterwards, so
/// choosing the same file again (once corrected) reads it again.
#[cfg(feature = "hydrate")]
async fn chosen_file(input: &web_sys::HtmlInputElement) -> Result<Option<String>, FileProblem> {
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(None);
    };
    if file.size() > MAX_IMPORT_BYTES as f64 {
        input.set_value("");
        return Err(FileProblem::TooLarge { max_bytes: MAX_IMPORT_BYTES as u64 });
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string());
    input.set_value("");
    // An unreadable file reads as an empty one: the server says it is empty.
    Ok(Some(text.unwrap_or_default()))
}
