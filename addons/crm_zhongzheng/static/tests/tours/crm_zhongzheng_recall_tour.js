import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

function rowsOf(selector, expected) {
    const rows = [...document.querySelectorAll(`${selector} .o_data_row`)];
    const names = rows.map((row) => row.innerText.replace(/\s+/g, " ").trim());
    if (rows.length !== expected.length) {
        throw new Error(`${rows.length} rows, expected ${expected.length}: ${names}`);
    }
    expected.forEach((name, index) => {
        if (!names[index].includes(name)) {
            throw new Error(`row ${index + 1} is "${names[index]}", expected ${name}`);
        }
    });
}

// The customers holding the lot, the top tier first (the test's tiers)
const HOLDERS = ["Renji Platinum Hospital", "Huashan Gold Hospital", "Xinhua Iron Clinic"];

// A service manager opens Recalls from the app's menu, recalls a lot of
// infusion pumps, launches the recall and sees the tickets it opened, one
// per customer holding the lot, the top tier's customer first.
registry.category("web_tour.tours").add("crm_zhongzheng_recall_launch", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='crm_zhongzheng.crm_zhongzheng_menu_root']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='crm_zhongzheng.device_recall_menu']",
            run: "click",
        },
        {trigger: ".o_breadcrumb:contains(Recalls)"},
        {trigger: ".o_control_panel_main_buttons .o_list_button_add", run: "click"},
        {trigger: ".o_field_widget[name=product_id] input", run: "edit Tour Infusion Pump"},
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Infusion Pump)",
            run: "click",
        },
        {trigger: ".o_field_widget[name=severity] select", run: "selectByLabel Critical"},
        {
            trigger: ".o_field_widget[name=reason] textarea",
            run: "edit The pump may stop without an alarm: stop using it.",
        },
        {trigger: ".o_field_widget[name=lot_ids] input", run: "edit IP-TOUR"},
        {trigger: ".o-autocomplete--dropdown-item a:contains(IP-TOUR-7)", run: "click"},
        {trigger: ".o_field_widget[name=lot_ids] .o_tag:contains(IP-TOUR-7)"},
        ...stepUtils.saveForm(),
        {trigger: ".o_field_widget[name=name]:contains(RC)"},
        {trigger: "button[name=action_launch]", run: "click"},
        {
            content: "confirm: a ticket for every customer holding the lot",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Running)"},
        {trigger: "button[name=action_view_tickets] .o_stat_value:contains(3)"},
        {
            content: "the recall's customers, the top tier first, each with its ticket",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:contains(ST/)",
            run: () => rowsOf(".o_field_widget[name=line_ids]", HOLDERS),
        },
        {trigger: "button[name=action_view_tickets]", run: "click"},
        {trigger: ".o_breadcrumb:contains(Service Tickets)"},
        {
            content: "the tickets in the order the recall opened them",
            trigger: ".o_list_renderer .o_data_row:contains(Tour Infusion Pump)",
            run: () => rowsOf(".o_list_renderer", HOLDERS),
        },
    ],
});
