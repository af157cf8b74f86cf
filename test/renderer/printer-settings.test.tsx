// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { PrintingSettings } from '../../common/domain';
import { App } from '../../renderer/src/App';
import { PrinterSettings } from '../../renderer/src/screens/PrinterSettings';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, fail, installFakeCounter, jobMoved, ok, printJob, queueView, type FakeCounter } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

function install(...args: Parameters<typeof installFakeCounter>): FakeCounter {
  const counter = installFakeCounter(...args);
  counter.onEvent((e) => useCounter.getState().handleEvent(e));
  counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
  return counter;
}

const field = (name: string) => screen.getByTestId(`printer-${name}`) as HTMLInputElement;
const change = (name: string, value: string) => fireEvent.change(field(name), { target: { value } });
const errorOf = (name: string) => screen.getByTestId(`error-${name}`);

/** What updatePrintingSettings answers: the app state with the new settings. */
const saving = (r: PrintingSettings) => {
  const next = { ...APP_STATE, printing: r };
  useCounter.setState({ appState: next });
  return ok(next);
};

describe('printer settings (supervisor)', () => {
  it('is a supervisor tab', async () => {
    install({ getQueue: () => ok(queueView()) });
    render(<App />);
    fireEvent.click(await screen.findByTestId('tab-printer'));
    expect(await screen.findByTestId('printer-kind')).toBeTruthy();
    expect(field('host').value).toBe('192.168.1.50');
    expect(field('port').value).toBe('9100');
  });

  it('checks the fields before saving and shows each error next to its field in English and Hindi', async () => {
    const counter = install({ updatePrintingSettings: saving });
    render(<PrinterSettings />);
    change('host', 'printer one');
    change('port', '70000');
    change('timeoutSeconds', '1');
    fireEvent.click(screen.getByTestId('printer-save'));

    const host = errorOf('host');
    expect(host.dataset.code).toBe('printer_host_format');
    expect(host.querySelector('[lang="en"]')?.textContent).toMatch(/IP address or host name/);
    expect(host.querySelector('[lang="hi"]')?.textContent).toMatch(/प्रिंटर का पता/);
    expect(errorOf('port').dataset.code).toBe('port_range');
    expect(errorOf('port').querySelector('[lang="hi"]')?.textContent).toMatch(/पोर्ट/);
    expect(errorOf('timeoutSeconds').dataset.code).toBe('number_range');
    expect(field('host').getAttribute('aria-invalid')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(field('host')));
    expect(counter.updatePrintingSettings).not.toHaveBeenCalled();

    // fixing a field takes its error away
    change('host', '127.0.0.1');
    expect(screen.queryByTestId('error-host')).toBeNull();
    change('port', '9101');
    change('timeoutSeconds', '2');
    fireEvent.click(screen.getByTestId('printer-save'));
    await waitFor(() => expect(counter.updatePrintingSettings).toHaveBeenCalledTimes(1));
    expect(counter.updatePrintingSettings).toHaveBeenCalledWith({
      ...APP_STATE.printing,
      printer: { kind: 'escpos-tcp', host: '127.0.0.1', port: 9101 },
      timeoutSeconds: 2,
    });
    expect((await screen.findByTestId('action-message')).textContent).toBe('Printer settings saved.');
  });

  it('a printer outside the local network needs the supervisor’s confirmation, which a new address drops', async () => {
    const counter = install({ updatePrintingSettings: saving });
    render(<PrinterSettings />);
    change('host', '8.8.8.8');
    fireEvent.click(screen.getByTestId('printer-save'));
    const host = errorOf('host');
    expect(host.dataset.code).toBe('printer_host_public');
    expect(host.querySelector('[lang="en"]')?.textContent).toMatch(/outside this PC and the local network/);
    expect(host.querySelector('[lang="hi"]')?.textContent).toMatch(/स्थानीय नेटवर्क/);
    expect(counter.updatePrintingSettings).not.toHaveBeenCalled();

    fireEvent.click(field('allowPublicHost'));
    expect(screen.queryByTestId('error-host')).toBeNull();
    fireEvent.click(screen.getByTestId('printer-save'));
    await waitFor(() => expect(counter.updatePrintingSettings).toHaveBeenCalledTimes(1));
    expect(counter.updatePrintingSettings).toHaveBeenLastCalledWith(
      expect.objectContaining({ printer: { kind: 'escpos-tcp', host: '8.8.8.8', port: 9100, allowPublicHost: true } }),
    );

    // the confirmation was for that address: another one starts unconfirmed
    change('host', '8.8.4.4');
    expect(field('allowPublicHost').checked).toBe(false);
  });

  it('a device path that is not a printer’s is refused next to the field in English and Hindi', () => {
    const counter = install();
    render(<PrinterSettings />);
    change('kind', 'escpos-device');
    change('path', '\\\\fileserver\\share');
    fireEvent.click(screen.getByTestId('printer-save'));
    const path = errorOf('path');
    expect(path.dataset.code).toBe('printer_device_path');
    expect(path.querySelector('[lang="en"]')?.textContent).toMatch(/other computers’ shares are not allowed/);
    expect(path.querySelector('[lang="hi"]')?.textContent).toMatch(/दूसरे कंप्यूटरों के शेयर/);
    expect(counter.updatePrintingSettings).not.toHaveBeenCalled();
  });

  it('shows the counter’s own field errors next to the fields', async () => {
    const counter = install({
      updatePrintingSettings: () => fail('VALIDATION', { fields: [{ field: 'printer.queue', code: 'cups_queue_format' }] }),
    });
    render(<PrinterSettings />);
    change('kind', 'escpos-cups');
    expect(screen.queryByTestId('printer-host')).toBeNull();
    change('queue', 'thermal_raw');
    fireEvent.click(screen.getByTestId('printer-save'));
    const error = await screen.findByTestId('error-queue');
    expect(error.dataset.code).toBe('cups_queue_format');
    expect(error.querySelector('[lang="en"]')?.textContent).toMatch(/Queue name/);
    expect(error.querySelector('[lang="hi"]')?.textContent).toMatch(/कतार का नाम/);
    expect(screen.getByTestId('action-error').dataset.code).toBe('VALIDATION');
    expect(counter.updatePrintingSettings).toHaveBeenCalledWith(
      expect.objectContaining({ printer: { kind: 'escpos-cups', queue: 'thermal_raw' } }),
    );
  });

  it('a blank CUPS queue or device path is refused before it is sent', () => {
    const counter = install();
    render(<PrinterSettings />);
    change('kind', 'escpos-cups');
    fireEvent.click(screen.getByTestId('printer-save'));
    expect(errorOf('queue').dataset.code).toBe('cups_queue_format');
    change('kind', 'escpos-device');
    fireEvent.click(screen.getByTestId('printer-save'));
    expect(errorOf('path').dataset.code).toBe('required');
    expect(counter.updatePrintingSettings).not.toHaveBeenCalled();
  });

  it('system printer: a list from the computer, or a name typed in when there is none', async () => {
    install({
      listSystemPrinters: () =>
        ok([
          { name: 'TVS_RP3160', displayName: 'TVS RP 3160 Gold', isDefault: true },
          { name: 'Office_A4', displayName: 'Office A4', isDefault: false },
        ]),
    });
    const { unmount } = render(<PrinterSettings />);
    change('kind', 'system');
    await waitFor(() => expect(field('deviceName').tagName).toBe('SELECT'));
    const options = [...(field('deviceName') as unknown as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(['— choose a printer —', 'TVS RP 3160 Gold (default)', 'Office A4']);
    fireEvent.click(screen.getByTestId('printer-save'));
    expect(errorOf('deviceName').dataset.code).toBe('required');
    unmount();

    install();
    render(<PrinterSettings />);
    change('kind', 'system');
    await act(async () => {});
    expect(field('deviceName').tagName).toBe('INPUT');
  });

  it('test print: saves a changed form first, then shows the job’s outcome live', async () => {
    const test = printJob({ kind: 'test', printer: 'ESC/POS tcp 127.0.0.1:9100' });
    const counter = install({ updatePrintingSettings: saving, testPrint: () => ok(test) });
    render(<PrinterSettings />);
    change('host', '127.0.0.1');
    expect(screen.getByTestId('printer-test').textContent).toBe('Save and print a test slip');
    fireEvent.click(screen.getByTestId('printer-test'));
    await waitFor(() => expect(counter.testPrint).toHaveBeenCalledTimes(1));
    expect(counter.updatePrintingSettings).toHaveBeenCalledTimes(1);
    const result = await screen.findByTestId('printer-result');
    expect(result.dataset.status).toBe('queued');
    expect(screen.getByTestId('printer-test').textContent).toBe('Print a test slip');

    act(() => counter.emit({ type: 'print', job: jobMoved(test, 'printing') }));
    expect(screen.getByTestId('printer-result').dataset.status).toBe('printing');
    act(() => counter.emit({ type: 'print', job: jobMoved(test, 'failed', 'paper_out') }));
    expect(screen.getByTestId('printer-result').dataset.status).toBe('failed');
    expect(screen.getByTestId('printer-result').dataset.code).toBe('paper_out');
    expect(screen.getByTestId('printer-result').textContent).toBe('The test slip did not print: The printer is out of paper.');
  });

  it('test print without a printer: says so, next to the printer choice', async () => {
    install({
      updatePrintingSettings: saving,
      testPrint: () => fail('VALIDATION', { fields: [{ field: 'printer', code: 'printer_not_configured' }] }),
    });
    useCounter.setState({
      appState: { ...APP_STATE, printing: { ...APP_STATE.printing!, printer: { kind: 'system', deviceName: 'Gone' } } },
    });
    render(<PrinterSettings />);
    fireEvent.click(screen.getByTestId('printer-test'));
    expect((await screen.findByTestId('action-error')).textContent).toBe('No slip printer is set up (Printer tab, supervisor).');
    expect(errorOf('kind').dataset.code).toBe('printer_not_configured');
  });
});
