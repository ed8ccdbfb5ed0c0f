import {registry} from "@web/core/registry";

const LOADING = "Loading...";
const TIMEOUT_MS = 30000;

// The dashboard action's spreadsheet model, found in the web client's
// component tree (the grid is a canvas: its cells are not in the DOM).
function dashboardModel() {
    const pending = [odoo.__WOWL_DEBUG__.root.__owl__];
    while (pending.length) {
        const node = pending.pop();
        const dashboard = node.component.state?.activeDashboard;
        if (dashboard?.model) {
            return dashboard.model;
        }
        pending.push(...Object.values(node.children));
    }
    return null;
}

function evaluatedCells(model) {
    const cells = [];
    for (const sheetId of model.getters.getSheetIds()) {
        const sheetName = model.getters.getSheetName(sheetId);
        for (const {col, row} of model.getters.getEvaluatedCellsPositions(sheetId)) {
            const cell = model.getters.getEvaluatedCell({sheetId, col, row});
            const ref = `${sheetName}!${String.fromCharCode(65 + col)}${row + 1}`;
            cells.push({ref, cell});
        }
    }
    return cells;
}

// A CRM manager opens Dashboards > Customer Relations: every formula
// evaluates (no error cell) once the data sources have loaded, and the
// pyramid shows customers. Logs how long the data took to load.
registry.category("web_tour.tours").add("crm_zhongzheng_customer_relations_dashboard", {
    steps: () => [
        {
            trigger: ".o_search_panel li:contains(Customer Relations)",
            run: "click",
        },
        {trigger: ".o_spreadsheet_dashboard_action .o_renderer canvas"},
        {
            content: "every cell evaluates once the data has loaded",
            trigger: ".o_spreadsheet_dashboard_action .o_renderer canvas",
            async run() {
                const started = performance.now();
                let model = null;
                let cells = [];
                while (performance.now() - started < TIMEOUT_MS) {
                    model = dashboardModel();
                    cells = model ? evaluatedCells(model) : [];
                    const loading = cells.some(({cell}) => cell.value === LOADING);
                    if (model && cells.length && !loading) {
                        break;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
                const seconds = (performance.now() - started) / 1000;
                const errors = cells.filter(({cell}) => cell.type === "error");
                if (errors.length) {
                    const list = errors.map(({ref, cell}) => `${ref}: ${cell.message}`);
                    throw new Error(`cells in error: ${list.join("; ")}`);
                }
                const tierCustomers = model.getters.evaluateFormula(
                    model.getters.getActiveSheetId(),
                    '=PIVOT.VALUE(1,"partner_id")'
                );
                if (!(tierCustomers > 0)) {
                    throw new Error(`the pyramid counts ${tierCustomers} customers`);
                }
                console.log(
                    `Customer Relations dashboard: ${cells.length} cells evaluated, ` +
                        `data loaded in ${seconds.toFixed(2)} s after the canvas showed`
                );
            },
        },
    ],
});
