// The projects page's name filter reports what is typed once typing pauses, and drops it when
// the user leaves the page before then (it would navigate back and cancel the user's click).
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { createMemoryRouter, Link, RouterProvider } from "react-router";
import { expect, test, vi } from "vitest";

import { NameFilter } from "./NameFilter";

function renderFilter(onChange: (value: string) => void) {
  const router = createMemoryRouter([
    {
      path: "/",
      element: (
        <>
          <NameFilter value="" onChange={onChange} />
          <Link to="/projects/shop/traces">shop</Link>
        </>
      ),
    },
    // A page whose code never arrives: the navigation to it stays pending.
    { path: "/projects/:projectName/traces", lazy: () => new Promise<never>(() => {}) },
  ]);
  render(<RouterProvider router={router} />);
  return router;
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 400));

test("what is typed is reported once typing pauses", async () => {
  const onChange = vi.fn();
  renderFilter(onChange);

  fireEvent.change(screen.getByLabelText("Filter projects by name"), {
    target: { value: "shop" },
  });

  expect(onChange).not.toHaveBeenCalled();
  await waitFor(() => expect(onChange).toHaveBeenCalledWith("shop"));
});

test("a change still settling is dropped when the user leaves the page", async () => {
  const onChange = vi.fn();
  const router = renderFilter(onChange);

  fireEvent.change(screen.getByLabelText("Filter projects by name"), {
    target: { value: "shop" },
  });
  fireEvent.click(screen.getByRole("link", { name: "shop" }));
  await settled();

  expect(onChange).not.toHaveBeenCalled();
  expect(router.state.navigation.location?.pathname).toBe("/projects/shop/traces");
});
