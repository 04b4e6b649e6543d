//! The team's pages: staff accounts (`/admin/staff`) and the audit log (`/admin/audit`).

use leptos::prelude::*;

use super::Frame;
use crate::app::admin::api::{audit_log, staff_accounts};
use crate::app::pages::ErrorPanel;

/// `/admin/audit`: the latest 200 staff actions.
#[component]
pub fn AdminAudit() -> impl IntoView {
    let entries = Resource::new(|| (), |_| audit_log());
    view! {
        <Frame title="Audit log".into()>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(entries) => {
                            let rows = entries
                                .into_iter()
                                .map(|e| {
                                    let action = e.action.clone();
                                    view! {
                                        <tr data-action=action>
                                            <td>{e.at}</td>
                                            <td>{e.who}</td>
                                            <td>{e.action}</td>
                                            <td>{e.target}</td>
                                            <td>{e.detail}</td>
                                        </tr>
                                    }
                                })
                                .collect_view();
                            view! {
                                <table class="staff-table audit">
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"On"</th>
                                            <th scope="col">"Detail"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error what="audit log" /> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}

/// `/admin/staff`: make a staff account.
#[component]
pub fn AdminStaff() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| staff_accounts());
    view! {
        <Frame title="Staff accounts".into()>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(accounts) => accounts_table(accounts).into_any(),
                        Err(error) => view! { <ErrorPanel error what="staff" /> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"New account"</h2>
            <form method="post" action="/api/admin/staff" class="staff-form">
                <label>"Email" <input type="email" name="email" required /></label>
                <label>
                    "Password (at least 12 characters)"
                    <input
                        type="password"
                        name="password"
                        required
                        minlength="12"
                        autocomplete="new-password"
                    />
                </label>
                <label>
                    "Role" <select name="role">
                        <option value="box_office">"Box office"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </label>
                <button type="submit">"Make the account"</button>
            </form>
        </Frame>
    }
}

fn accounts_table(accounts: Vec<crate::app::admin::StaffAccount>) -> impl IntoView {
    let rows = accounts
        .into_iter()
        .map(|a| {
            let state = if a.disabled {
                "disabled"
            } else if a.locked {
                "locked for now"
            } else {
                "active"
            };
            let id = a.id.to_string();
            let toggle = if a.disabled { "Enable" } else { "Disable" };
            let label = format!("{toggle} {}", a.email);
            let password_label = format!("New password for {}", a.email);
            view! {
                <tr data-staff=a.email.clone()>
                    <td>{a.email.clone()}</td>
                    <td>{a.role.as_str()}</td>
                    <td class="staff-state">{state}</td>
                    <td>
                        <form method="post" action="/api/admin/staff/disabled" class="inline">
                            <input type="hidden" name="id" value=id.clone() />
                            <input
                                type="hidden"
                                name="disabled"
                                value=if a.disabled { "false" } else { "true" }
                            />
                            <button type="submit" aria-label=label>
                                {toggle}
                            </button>
                        </form>
                    </td>
                    <td>
                        <form method="post" action="/api/admin/staff/password" class="inline">
                            <input type="hidden" name="id" value=id />
                            <input
                                type="password"
                                name="password"
                                required
                                minlength="12"
                                autocomplete="new-password"
                                aria-label=password_label
                            />
                            <button type="submit">"Set"</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="staff-table" id="staff-accounts">
            <thead>
                <tr>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Sign-in"</th>
                    <th scope="col">"Password"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
